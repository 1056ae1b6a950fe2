using System.Numerics;
using XformerDsl.Kernels;

namespace XformerDsl.Attention.Lsh;

/// <summary>A generated bucketed chunk kernel of LSH attention: the chunk schedule, specialised at compile time.</summary>
public interface ILshChunkKernel
{
    /// <summary>The head size.</summary>
    static abstract int HeadDim { get; }

    /// <summary>Positions per chunk.</summary>
    static abstract int BucketSize { get; }

    /// <summary>Writes the output and log-sum-exp of every sorted query.</summary>
    static abstract void Forward<T, TVec, TOps>(in AttentionForwardArguments<T> args, in LshChunkArguments lsh)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>;

    /// <summary>
    /// Writes the query, key and value gradients. <paramref name="delta"/> is D − dLSE per sorted query (the output
    /// gradient's correction term less the log-sum-exp gradient, see <see cref="LshChunkMask.SubtractLogSumExpGradient{T}"/>).
    /// </summary>
    static abstract void Backward<T, TVec, TOps>(in AttentionBackwardArguments<T> args, in LshChunkArguments lsh, QueryScalars<T> delta)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>;
}
