using System.Numerics;
using XformerDsl.Kernels;

namespace XformerDsl.Autograd;

/// <summary>
/// A fused linear attention kernel as the generator emits it for one declaration: the feature count, head size, chunk
/// and causality are constants; forward and backward over φ(Q), φ(K) and V. The feature map itself stays outside the
/// kernel, so TorchSharp autograd differentiates it (T2R's W and b, elu + 1, FAVOR+'s exponentials).
/// <see cref="FusedLinearAttention{TKernel}"/> wires any implementation into autograd.
/// </summary>
public interface IFusedLinearAttentionKernel
{
    /// <summary>Values per head.</summary>
    static abstract int HeadDim { get; }

    /// <summary>m, features per head.</summary>
    static abstract int Features { get; }

    /// <summary>True when query i sees keys 0..i only.</summary>
    static abstract bool Causal { get; }

    /// <summary>What the kernel computes, for messages.</summary>
    static abstract string Description { get; }

    /// <summary>Writes the output and each query's normaliser.</summary>
    static abstract void Forward<T, TVec, TOps>(in LinearAttentionForwardArguments<T> args)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>;

    /// <summary>Writes the gradients of φ(Q), φ(K) and V.</summary>
    static abstract void Backward<T, TVec, TOps>(in LinearAttentionBackwardArguments<T> args)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>;
}
