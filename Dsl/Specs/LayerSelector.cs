using System.Collections.Generic;
using System.Linq;

namespace XformerDsl.Specs
{
    /// <summary>
    /// Which layers an attention declaration applies to: named layers, every n-th layer, or (neither) the remaining
    /// layers that no other declaration claims. See <see cref="AttentionAttribute.Layers"/> and
    /// <see cref="AttentionAttribute.Every"/>.
    /// </summary>
    /// <param name="Layers">The named layers, numbered from 0; null when not given.</param>
    /// <param name="Every">Every n-th layer (layers n−1, 2n−1, …); null when not given.</param>
    public sealed record LayerSelector(ImmutableEquatableArray<int>? Layers, int? Every)
    {
        /// <summary>The selector of a declaration that names no layers: it takes every layer no other claims.</summary>
        public static LayerSelector Remaining { get; } = new LayerSelector(null, null);

        /// <summary>A selector for the given layers.</summary>
        public static LayerSelector Of(params int[] layers) => new LayerSelector(ImmutableEquatableArray.Create(layers), null);

        /// <summary>A selector for every <paramref name="n"/>-th layer.</summary>
        public static LayerSelector EveryNth(int n) => new LayerSelector(null, n);

        /// <summary>True for the selector that takes the remaining layers.</summary>
        public bool IsRemaining => Layers is null && Every is null;

        /// <summary>
        /// The layers, among 0..<paramref name="depth"/>−1, that this selector names explicitly (ascending, without
        /// repeats); empty for <see cref="Remaining"/>, whose layers depend on the other declarations.
        /// </summary>
        public IReadOnlyList<int> NamedLayers(int depth)
        {
            if (Layers is not null)
                return Layers.Where(layer => layer >= 0 && layer < depth).Distinct().OrderBy(layer => layer).ToList();
            if (Every is int n && n > 0)
                return Enumerable.Range(1, depth / n).Select(k => k * n - 1).ToList();
            return new int[0];
        }

        /// <summary>The selector as attribute arguments: <c>Layers = new[] { 3, 7 }</c>, <c>Every = 4</c>, or nothing.</summary>
        public IEnumerable<(string Name, string Literal)> Arguments()
        {
            if (Layers is not null)
                yield return ("Layers", SpecFormat.IntArray(Layers));
            if (Every is int n)
                yield return ("Every", SpecFormat.Int(n));
        }
    }
}
