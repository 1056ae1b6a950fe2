using System;
using System.Collections.Generic;

namespace XformerDsl.Specs
{
    /// <summary>
    /// A run of consecutive heads of one layer that attend the same way: <see cref="Heads"/> heads from
    /// <see cref="FirstHead"/>, sharing <see cref="Kind"/> (a pattern, an axis, a branch). A layer whose heads differ
    /// runs each group on its own and joins the outputs in head order: per-head dilation (sliding window), rows and
    /// columns (axial), and next the attention and convolution branches of Lite Transformer's long-short range attention.
    /// </summary>
    /// <typeparam name="TKind">What the group's heads share.</typeparam>
    /// <param name="FirstHead">The first head of the run.</param>
    /// <param name="Heads">How many heads the run holds, at least one.</param>
    /// <param name="Kind">What they share.</param>
    public sealed record HeadGroup<TKind>(int FirstHead, int Heads, TKind Kind)
    {
        /// <summary><c>head 3</c> or <c>heads 0–3</c>, for comments and messages.</summary>
        public string Range => Heads == 1
            ? "head " + SpecFormat.Int(FirstHead)
            : "heads " + SpecFormat.Int(FirstHead) + "–" + SpecFormat.Int(FirstHead + Heads - 1);
    }

    /// <summary>Builds <see cref="HeadGroup{TKind}"/> lists.</summary>
    public static class HeadGroups
    {
        /// <summary>The runs of consecutive heads whose kinds are equal, in head order: <c>1, 1, 2, 4</c> → three runs.</summary>
        public static IReadOnlyList<HeadGroup<TKind>> Runs<TKind>(IReadOnlyList<TKind> kindOfHead)
        {
            if (kindOfHead is null)
                throw new ArgumentNullException(nameof(kindOfHead));
            var groups = new List<HeadGroup<TKind>>();
            var comparer = EqualityComparer<TKind>.Default;
            int first = 0;
            for (int head = 1; head <= kindOfHead.Count; head++)
            {
                if (head < kindOfHead.Count && comparer.Equals(kindOfHead[head], kindOfHead[first]))
                    continue;
                groups.Add(new HeadGroup<TKind>(first, head - first, kindOfHead[first]));
                first = head;
            }
            return groups;
        }

        /// <summary>The heads split in order into parts of the given sizes, each of one kind; parts of no heads are left out.</summary>
        public static IReadOnlyList<HeadGroup<TKind>> Split<TKind>(params (int Heads, TKind Kind)[] parts)
        {
            var groups = new List<HeadGroup<TKind>>();
            int first = 0;
            foreach (var (heads, kind) in parts)
            {
                if (heads > 0)
                    groups.Add(new HeadGroup<TKind>(first, heads, kind));
                first += heads;
            }
            return groups;
        }
    }
}
