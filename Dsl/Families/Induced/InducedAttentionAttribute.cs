using System;
using XformerDsl.Specs;

namespace XformerDsl
{
    /// <summary>
    /// Inducing-point attention (Lee, Lee, Kim, Kosiorek, Choi &amp; Teh, 2019, "Set Transformer", the induced set
    /// attention block ISAB): <see cref="Points"/> learned inducing points first attend to the sequence,
    /// <c>H = MAB(I, X)</c>, and every token then attends to those m summaries, <c>MAB(X, H)</c>: two attentions of
    /// cost O(L · m) instead of one of O(L²). The inducing points attend to real tokens only (padding is masked). The
    /// block's frame (pre-norm, residual, feed-forward) is the outer MAB's; the inner MAB keeps the paper's residual,
    /// LayerNorms and row-wise feed-forward. Bidirectional only: every summary mixes every position, later ones
    /// included, so a causal model is a compile error (XF0130).
    /// </summary>
    /// <example>
    /// <code>
    /// [Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 4096, Causal = false)]
    /// [InducedAttention(Heads = 8, Points = 32)]
    /// [ClassificationHead(Classes = 2, Pooling = Pooling.Attention)]
    /// public partial class SetClassifier;
    /// </code>
    /// </example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class InducedAttentionAttribute : AttentionAttribute
    {
        /// <summary>
        /// m, the learned inducing points each layer has (default 32; the paper uses 16 to 32). At most MaxLength
        /// (XF0131); range 1 to 1,048,576.
        /// </summary>
        public int Points { get; set; } = InducedAttentionSpec.DefaultPoints;
    }
}
