using System.Numerics;
using XformerDsl.Kernels;
using static TorchSharp.torch;

namespace XformerDsl.Autograd;

/// <summary>
/// A fused attention kernel as the generator emits it for one model: forward and backward over raw memory, specialised
/// at compile time (head size, pattern, tile sizes are constants), plus the reference composition that serves the
/// tensors the kernel does not. <see cref="FusedAttention{TKernel}"/> wires any implementation into TorchSharp autograd.
/// </summary>
public interface IFusedAttentionKernel
{
    /// <summary>The head size the kernel is compiled for.</summary>
    static abstract int HeadDim { get; }

    /// <summary>
    /// The longest sequence the kernel serves: a pattern family's block layout is computed for the model's MaxLength.
    /// Unlimited by default.
    /// </summary>
    static virtual int MaxLength => int.MaxValue;

    /// <summary>What the kernel computes, for messages, e.g. <c>TinyGpt: causal full attention, head size 64</c>.</summary>
    static abstract string Description { get; }

    /// <summary>The same attention composed from TorchSharp ops: any device, any dtype.</summary>
    static abstract Tensor Reference(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask);

    /// <summary>Writes the output and the log-sum-exp of every query.</summary>
    static abstract void Forward<T, TVec, TOps>(in AttentionForwardArguments<T> args)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>;

    /// <summary>Writes the query, key and value gradients.</summary>
    static abstract void Backward<T, TVec, TOps>(in AttentionBackwardArguments<T> args)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>;
}
