using XformerDsl.Autograd;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Recurrence;

/// <summary>
/// A fused Transformer-XL attention kernel as the generator emits it for one <c>[SegmentRecurrence]</c> model: softmax
/// attention of a segment's queries over the keys of its memory and itself, causal, whose score tiles add the relative
/// position term. <see cref="FusedRelativeAttention{TKernel}"/> runs it from TorchSharp.
/// </summary>
public interface IFusedRelativeAttentionKernel : IFusedAttentionKernel
{
    /// <summary>0, or (<c>SameLength</c>) the number of keys each query sees, ending at its own position.</summary>
    static abstract int Window { get; }

    /// <summary>
    /// The same attention composed from TorchSharp ops (<see cref="RelativeAttentionReference.Forward"/>): any device,
    /// any dtype.
    /// </summary>
    static abstract Tensor Reference(Tensor query, Tensor key, Tensor value, Tensor contentBias, Tensor positionBias, Tensor positions,
        Tensor? keyPaddingMask);
}
