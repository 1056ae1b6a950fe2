using System;
using XformerDsl.Specs;

namespace XformerDsl
{
    /// <summary>
    /// Memory-compressed attention (Liu et al., 2018, "Generating Wikipedia by Summarizing Long Sequences", §2.3): the keys
    /// and values of each head are compressed along the length, every <see cref="Ratio"/> consecutive positions (a slot)
    /// into one row, by a strided convolution or a mean (<see cref="Compression"/>), and every query attends to the
    /// compressed rows, so attention costs O(L · L / Ratio) instead of O(L²). Padded positions are zeroed before
    /// compressing and a slot that holds no real token is hidden. In a causal model a query sees a slot only once every
    /// position in it is at or before the query, and a learned null key and value, always visible, give the first
    /// Ratio − 1 queries something to attend to. The paper alternates these layers with local attention; declare that
    /// with <see cref="AttentionAttribute.Every"/> or <see cref="AttentionAttribute.Layers"/>.
    /// </summary>
    /// <example>
    /// <code>
    /// [Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 4096)]
    /// [LocalAttention(Heads = 4, Block = 256)]
    /// [CompressedAttention(Heads = 4, Ratio = 3, Every = 2)]
    /// [FeedForward(Hidden = 1024)]
    /// public partial class WikiSumDecoder;
    /// </code>
    /// </example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class CompressedAttentionAttribute : AttentionAttribute
    {
        /// <summary>
        /// Positions compressed into one key and one value (the convolution's kernel size and stride): 3 by default, as in
        /// the paper. At most MaxLength (XF0120); range 1 to 1,048,576. A sequence whose length is not a multiple is
        /// padded at the end with zero rows, so its last slot is partial.
        /// </summary>
        public int Ratio { get; set; } = CompressedAttentionSpec.DefaultRatio;

        /// <summary>How a slot becomes one row: <see cref="MemoryCompression.Convolution"/> (learned, the default) or <see cref="MemoryCompression.MeanPool"/>.</summary>
        public MemoryCompression Compression { get; set; } = CompressedAttentionSpec.DefaultCompression;
    }
}
