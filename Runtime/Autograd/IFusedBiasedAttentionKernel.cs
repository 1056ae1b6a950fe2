using static TorchSharp.torch;

namespace XformerDsl.Autograd;

/// <summary>
/// A fused softmax attention kernel that adds a score bias to its scores, <c>softmax(scale·Q·Kᵀ + B + mask)·V</c>, or,
/// bias-only, <c>softmax(B + mask)·V</c> with no query and key (a pure synthesizer). The bias is learnable: the backward
/// pass returns its gradient. <see cref="FusedBiasedAttention{TKernel}"/> runs it from TorchSharp. The same tile step
/// serves any additive bias per head and position pair: synthetic logits, relative-position biases, ALiBi.
/// </summary>
public interface IFusedBiasedAttentionKernel : IFusedAttentionKernel
{
    /// <summary>True when the scores include <c>scale·Q·Kᵀ</c> besides the bias; false for a bias-only kernel.</summary>
    static abstract bool ScoresQueriesAndKeys { get; }

    /// <summary>
    /// The same attention composed from TorchSharp ops: any device, any dtype. Query and key are null for a bias-only
    /// kernel; the bias is broadcastable to <c>[batch, heads, queries, keys]</c>.
    /// </summary>
    static abstract Tensor Reference(Tensor? query, Tensor? key, Tensor value, Tensor? keyPaddingMask, Tensor scoreBias);
}
