using System;
using XformerDsl.Specs;

namespace XformerDsl
{
    /// <summary>
    /// Sparse Sinkhorn attention (Tay, Bahri, Yang, Metzler &amp; Juan, 2020, "Sparse Sinkhorn Attention"): the sequence is
    /// cut into contiguous blocks of <see cref="Block"/> tokens; a sorting network pools each block (the mean of its
    /// queries and of its keys, per head) and scores every block against every other through a small learned projection;
    /// Gumbel noise (in training only), a <see cref="Temperature"/> and <see cref="Iterations"/> log-domain Sinkhorn
    /// normalisations turn the scores into a soft permutation of the blocks; the sorted keys and values are that
    /// permutation times the key and value blocks, and each query block attends, in one softmax, to its sorted block
    /// and to its own block. Cost O(L·2·Block·Dim) for the attention plus O(L·(L / Block)·Dim) for the soft sorting.
    /// In a causal model the sorting is the paper's causal Sinkhorn balancing: block i may only take blocks before it,
    /// its pooled summary is the previous block's, the first block attends locally only, and the local block hides later keys.
    /// <see cref="SortCut"/> (bidirectional models only) keeps the first SortCut sorted blocks and lets every query attend to them.
    /// </summary>
    /// <example>
    /// <code>
    /// [Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 4096)]
    /// [SinkhornAttention(Heads = 4, Block = 64)]
    /// [FeedForward(Hidden = 1024)]
    /// public partial class SinkhornLm;
    /// </code>
    /// </example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class SinkhornAttentionAttribute : AttentionAttribute
    {
        /// <summary>
        /// Tokens per block, 64 by default; MaxLength must be a multiple of it (XF0200) and hold at least two blocks
        /// (XF0201). Multiples of 16 fill the kernel's tiles.
        /// </summary>
        public int Block { get; set; } = SinkhornAttentionSpec.DefaultBlock;

        /// <summary>Sinkhorn normalisations (one row and one column normalisation each), 7 by default as the paper's best; 1 to 100.</summary>
        public int Iterations { get; set; } = SinkhornAttentionSpec.DefaultIterations;

        /// <summary>The Gumbel-Sinkhorn temperature τ dividing the sorting logits, 0.75 by default as the paper; greater than 0 (XF0204).</summary>
        public double Temperature { get; set; } = SinkhornAttentionSpec.DefaultTemperature;

        /// <summary>
        /// SortCut: when greater than 0, every query attends to the first SortCut sorted blocks only (no local block), so
        /// attention costs O(L·SortCut·Block·Dim). Bidirectional models only (XF0202), at most MaxLength / Block (XF0203);
        /// 0 (the default) for the sorted block and the local block of each query block.
        /// </summary>
        public int SortCut { get; set; }
    }
}
