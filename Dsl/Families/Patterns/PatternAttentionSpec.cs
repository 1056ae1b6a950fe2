using System.Collections.Generic;

namespace XformerDsl.Specs
{
    /// <summary>
    /// A softmax family whose queries each see a fixed subset of the keys, decided by position alone: local blocks,
    /// sliding windows, dilated and global patterns. The pattern is one pure function, <see cref="Sees"/>: the run-time
    /// reference turns it into a dense mask over the full attention (the oracle), and the generator turns it into the
    /// compile-time block layout of the fused kernel.
    /// </summary>
    public abstract record PatternAttentionSpec : AttentionSpec
    {
        private protected PatternAttentionSpec(int heads) : base(heads) { }

        /// <summary>
        /// True when the query at position <paramref name="query"/> attends to the key at position <paramref name="key"/>
        /// (causality included). Depends on the two positions only, never on the sequence length, so a sequence shorter
        /// than MaxLength sees the same pattern cut short.
        /// </summary>
        public abstract bool Sees(int query, int key, bool causal);

        /// <summary>
        /// Half-open ranges of key positions, within [0, <paramref name="length"/>), that together contain every key
        /// the query sees (they may contain more, and may overlap): what the generator scans to find a query's tiles
        /// without testing every key of the sequence.
        /// </summary>
        public abstract IEnumerable<(int Start, int End)> KeyRanges(int query, int length, bool causal);

        /// <summary>The pattern of a sequence of <paramref name="length"/> tokens, row-major: <c>[query · length + key]</c>.</summary>
        public bool[] VisibilityMask(int length, bool causal)
        {
            var mask = new bool[(long)length * length];
            for (int query = 0; query < length; query++)
                foreach (var (start, end) in KeyRanges(query, length, causal))
                    for (int key = start; key < end; key++)
                        mask[(long)query * length + key] = Sees(query, key, causal);
            return mask;
        }

        private protected static (int Start, int End) Clip(long start, long end, int length) =>
            ((int)System.Math.Max(0, System.Math.Min(start, length)), (int)System.Math.Max(0, System.Math.Min(end, length)));
    }
}
