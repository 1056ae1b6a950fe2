using System;

namespace XformerDsl
{
    /// <summary>
    /// Blockwise local attention (Image Transformer, Parmar et al., 2018; chunked attention): the sequence is cut into
    /// blocks of <see cref="Block"/> tokens, and each query attends to the keys of its own block, of the
    /// <see cref="Before"/> blocks before it and, in a bidirectional model, of the <see cref="After"/> blocks after it.
    /// A causal model also hides the later keys of the query's own block. Cost O(L·(Before + 1 + After)·Block·Dim): linear
    /// in the sequence length L. The fused kernel visits only the tiles of the block layout, computed at compile time.
    /// </summary>
    /// <example><c>[LocalAttention(Heads = 4, Block = 128, Before = 1)]</c>: each query sees its block and the previous one.</example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class LocalAttentionAttribute : AttentionAttribute
    {
        /// <summary>
        /// Required. Tokens per block, from 1 to MaxLength; MaxLength must be a multiple of it (so every block is whole).
        /// Multiples of 64 match the kernel's tiles and waste nothing.
        /// </summary>
        public int Block { get; set; }

        /// <summary>Blocks before the query's own that it attends to; 0 (the default) for its own block only.</summary>
        public int Before { get; set; }

        /// <summary>
        /// Blocks after the query's own that it attends to, in a bidirectional model (<c>Causal = false</c>) only: in a
        /// causal model they are the query's future, and the generator reports XF0032. 0 by default.
        /// </summary>
        public int After { get; set; }
    }
}
