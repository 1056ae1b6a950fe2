using System;
using XformerDsl.Specs;

namespace XformerDsl
{
    /// <summary>
    /// Low-rank attention (Wang, Li, Khabsa, Fang &amp; Ma, 2020, "Linformer: Self-Attention with Linear Complexity"):
    /// the keys and values of each head are projected along the <b>length</b> axis to <see cref="ProjectedLength"/> rows
    /// by learned matrices E and F of shape <c>[ProjectedLength, MaxLength]</c>, and every query attends to those rows,
    /// so attention costs O(L · ProjectedLength) instead of O(L²). A sequence shorter than MaxLength uses the first L
    /// columns of E and F. Padded positions are zeroed in the keys and values before projecting, so they contribute
    /// nothing to any compressed row. Bidirectional only: projecting along the length mixes later positions into every
    /// compressed row, so a causal model is a compile error (XF0100).
    /// </summary>
    /// <example>
    /// <code>
    /// [Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 4096, Causal = false)]
    /// [LowRankAttention(Heads = 4, ProjectedLength = 256)]
    /// [FeedForward(Hidden = 1024)]
    /// public partial class LinformerEncoder;
    /// </code>
    /// </example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class LowRankAttentionAttribute : AttentionAttribute
    {
        /// <summary>
        /// k, the rows keys and values are projected to (required; the paper uses 128 to 256). At most MaxLength
        /// (XF0101); range 1 to 1,048,576.
        /// </summary>
        public int ProjectedLength { get; set; }

        /// <summary>Which projections the layer learns: <see cref="LowRankSharing.Headwise"/> (E and F per layer, shared by its heads) by default.</summary>
        public LowRankSharing Sharing { get; set; } = LowRankAttentionSpec.DefaultSharing;
    }
}
