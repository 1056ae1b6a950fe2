using System;

namespace XformerDsl
{
    /// <summary>
    /// Makes the blocks reversible residual layers (Gomez et al., 2017, "The Reversible Residual Network"; Kitaev,
    /// Kaiser &amp; Levskaya, 2020, "Reformer: The Efficient Transformer", §4). The residual stream is two streams
    /// x1, x2, both starting as the embedding, and each block computes
    /// <c>y1 = x1 + Attention(norm(x2))</c>, <c>y2 = x2 + FeedForward(norm(y1))</c>; after the last block the two
    /// streams are averaged (as lucidrains/reformer-pytorch does; trax concatenates them and projects), so the output
    /// head, and every parameter, is the same as the plain model's. The backward pass reconstructs each block's
    /// inputs from its outputs, <c>x2 = y2 − FeedForward(norm(y1))</c>, <c>x1 = y1 − Attention(norm(x2))</c>, instead
    /// of storing them, so activation memory does not grow with Depth: the cost is one more forward pass of every
    /// block during backward. Dropout draws the same masks in that recomputation. Works with every attention family;
    /// needs pre-norm (the default), because a norm after the sum cannot be undone.
    /// </summary>
    /// <example>
    /// <code>
    /// [Transformer(Vocab = 256, Dim = 256, Depth = 12, MaxLength = 8192)]
    /// [FullAttention(Heads = 4)]
    /// [FeedForward(Hidden = 1024, Chunks = 8)]
    /// [Reversible]
    /// public partial class DeepByteModel;
    /// </code>
    /// </example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
    public sealed class ReversibleAttribute : Attribute
    {
    }
}
