using System.Numerics;
using XformerDsl.Kernels;

namespace XformerDsl.Attention.Sinkhorn;

/// <summary>
/// A generated block kernel of Sinkhorn attention: each query block attends, in one online softmax, to its sorted block
/// (read from the sorted keys and values) and to its own block (read in place from the keys and values), with the
/// block size, head size and causality specialised at compile time.
/// </summary>
public interface ISinkhornBlockKernel
{
    /// <summary>The head size.</summary>
    static abstract int HeadDim { get; }

    /// <summary>Positions per block.</summary>
    static abstract int Block { get; }

    /// <summary>Whether the own block hides its later keys.</summary>
    static abstract bool Causal { get; }

    /// <summary>
    /// Writes the output and log-sum-exp of every query (in <paramref name="local"/>, whose keys and values are the
    /// layer's own; <paramref name="sorted"/> has the same queries, output and log-sum-exp with the sorted keys and values).
    /// </summary>
    static abstract void Forward<T, TVec, TOps>(in AttentionForwardArguments<T> local, in AttentionForwardArguments<T> sorted, in SinkhornBlockArguments blocks)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>;

    /// <summary>
    /// Writes the query gradient and the key and value gradients of both key sources (own in <paramref name="local"/>,
    /// sorted in <paramref name="sorted"/>); <paramref name="delta"/> is rowsum(dO ⊙ O) per query.
    /// </summary>
    static abstract void Backward<T, TVec, TOps>(in AttentionBackwardArguments<T> local, in AttentionBackwardArguments<T> sorted, in SinkhornBlockArguments blocks, QueryScalars<T> delta)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>;
}

/// <summary>What a Sinkhorn block kernel reads besides the rows: which sorted blocks hold anything.</summary>
public readonly unsafe struct SinkhornBlockArguments
{
    /// <summary><c>[batch, blocks]</c> bytes: nonzero where the query block's sorted block took some block (visible).</summary>
    public required byte* SortedVisible { get; init; }

    /// <summary>Blocks per sequence.</summary>
    public required int Blocks { get; init; }

    /// <summary>Whether query block <paramref name="block"/> of batch-head <paramref name="batchHead"/> sees its sorted block.</summary>
    public bool SeesSorted(int batchHead, int heads, int block) => SortedVisible[(long)(batchHead / heads) * Blocks + block] != 0;
}
