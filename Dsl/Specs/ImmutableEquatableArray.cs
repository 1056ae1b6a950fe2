using System;
using System.Collections;
using System.Collections.Generic;

namespace XformerDsl.Specs
{
    /// <summary>
    /// An immutable list with value equality: two arrays are equal when they hold equal elements in the same order.
    /// Records that hold collections use it so that the records themselves keep value equality
    /// (which an incremental source generator relies on to cache its outputs).
    /// </summary>
    /// <typeparam name="T">The element type; must have value equality itself.</typeparam>
    public sealed class ImmutableEquatableArray<T> : IEquatable<ImmutableEquatableArray<T>>, IReadOnlyList<T>
        where T : IEquatable<T>
    {
        private readonly T[] _items;

        /// <summary>The array with no elements.</summary>
        public static ImmutableEquatableArray<T> Empty { get; } = new ImmutableEquatableArray<T>(new T[0]);

        /// <summary>
        /// Copies <paramref name="items"/>, so an array literal can stand for a spec's list argument (null stays null):
        /// <c>Dilations: new[] { 1, 2 }</c> reads the same in a spec literal as in the attribute it came from.
        /// </summary>
        public static implicit operator ImmutableEquatableArray<T>?(T[]? items) => items is null ? null : new ImmutableEquatableArray<T>(items);

        /// <summary>Copies <paramref name="items"/> into a new immutable array.</summary>
        public ImmutableEquatableArray(IEnumerable<T> items)
        {
            _items = new List<T>(items ?? throw new ArgumentNullException(nameof(items))).ToArray();
        }

        /// <summary>The element at <paramref name="index"/>.</summary>
        public T this[int index] => _items[index];

        /// <summary>The number of elements.</summary>
        public int Count => _items.Length;

        /// <summary>True when the array has no elements.</summary>
        public bool IsEmpty => _items.Length == 0;

        /// <inheritdoc/>
        public bool Equals(ImmutableEquatableArray<T>? other)
        {
            if (ReferenceEquals(this, other))
                return true;
            if (other is null || other._items.Length != _items.Length)
                return false;
            var comparer = EqualityComparer<T>.Default;
            for (int i = 0; i < _items.Length; i++)
            {
                if (!comparer.Equals(_items[i], other._items[i]))
                    return false;
            }
            return true;
        }

        /// <inheritdoc/>
        public override bool Equals(object? obj) => obj is ImmutableEquatableArray<T> other && Equals(other);

        /// <inheritdoc/>
        public override int GetHashCode()
        {
            unchecked
            {
                int hash = 17;
                foreach (var item in _items)
                    hash = (hash * 31) + (item is null ? 0 : item.GetHashCode());
                return hash;
            }
        }

        /// <summary>Value equality.</summary>
        public static bool operator ==(ImmutableEquatableArray<T>? left, ImmutableEquatableArray<T>? right) =>
            left is null ? right is null : left.Equals(right);

        /// <summary>Value inequality.</summary>
        public static bool operator !=(ImmutableEquatableArray<T>? left, ImmutableEquatableArray<T>? right) => !(left == right);

        /// <summary>Enumerates the elements in order.</summary>
        public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_items).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

        /// <summary>Lists the elements, for debugging and test messages.</summary>
        public override string ToString() => "[" + string.Join(", ", _items) + "]";
    }

    /// <summary>Factory methods for <see cref="ImmutableEquatableArray{T}"/>.</summary>
    public static class ImmutableEquatableArray
    {
        /// <summary>An immutable array holding <paramref name="items"/>.</summary>
        public static ImmutableEquatableArray<T> Create<T>(params T[] items) where T : IEquatable<T> =>
            items.Length == 0 ? ImmutableEquatableArray<T>.Empty : new ImmutableEquatableArray<T>(items);

        /// <summary>An immutable array holding the elements of <paramref name="items"/>.</summary>
        public static ImmutableEquatableArray<T> ToImmutableEquatableArray<T>(this IEnumerable<T> items) where T : IEquatable<T> =>
            new ImmutableEquatableArray<T>(items);
    }
}
