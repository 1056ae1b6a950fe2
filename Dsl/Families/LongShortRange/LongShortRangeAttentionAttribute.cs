using System;
using XformerDsl.Specs;

namespace XformerDsl
{
    /// <summary>
    /// Lite Transformer's long-short range attention, LSRA (Wu, Liu, Lin, Lin &amp; Han, ICLR 2020, "Lite Transformer with
    /// Long-Short Range Attention"). The block's normalised input is split along its channels: the first
    /// <see cref="AttentionWidth"/> go to multi-head attention with its own projections (the long range: full attention,
    /// causal in a decoder), the rest to a convolution branch (the short range: a dynamic or lightweight convolution over
    /// a window of the layer's kernel size, centred in an encoder, causal in a decoder), and the two outputs are
    /// concatenated back to Dim channels. Padding is zeroed before the convolution. Pair it with the flattened
    /// feed-forward of the paper, <c>[FeedForward(Hidden = Dim)]</c>.
    /// </summary>
    /// <example>
    /// <code>
    /// [Transformer(Vocab = 64, Dim = 128, Depth = 3, MaxLength = 40)]
    /// [Encoder(Depth = 3, SharedEmbeddings = true)]
    /// [LongShortRangeAttention(Heads = 2, KernelSizes = new[] { 3, 7, 15 })]
    /// [FeedForward(Hidden = 128)]
    /// public partial class LiteTranslator;
    /// </code>
    /// </example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class LongShortRangeAttentionAttribute : AttentionAttribute
    {
        /// <summary>
        /// Channels of the attention branch; the other Dim − AttentionWidth go to the convolution. 0 (the default) means
        /// Dim / 2, the paper's even split. Heads must divide it.
        /// </summary>
        public int AttentionWidth { get; set; }

        /// <summary>The convolution: <see cref="ConvolutionKind.Dynamic"/> (default) or <see cref="ConvolutionKind.Lightweight"/>.</summary>
        public ConvolutionKind Convolution { get; set; } = LongShortRangeAttentionSpec.DefaultConvolution;

        /// <summary>
        /// The kernel size of each layer, numbered from 0: one entry per layer of the stack, or one entry for every layer.
        /// Leave it out for the paper's <c>3, 7, 15, 31, 31, 31</c> (31 for layers beyond the sixth). A centred
        /// (encoder) convolution needs odd sizes. Each declared size gets its own generated kernel.
        /// </summary>
        public int[]? KernelSizes { get; set; }

        /// <summary>
        /// Heads of the convolution: each kernel head's kernel serves (Dim − AttentionWidth) / KernelHeads channels. 0 (the
        /// default) means as many as <see cref="AttentionAttribute.Heads"/>. Must divide the convolution branch's width.
        /// </summary>
        public int KernelHeads { get; set; }

        /// <summary>
        /// DropConnect on the normalised convolution weights in training (Lite Transformer's <c>weight_dropout</c>).
        /// 0 (the default) disables it. Must satisfy 0 ≤ DropConnect &lt; 1.
        /// </summary>
        public double DropConnect { get; set; }
    }
}
