using System.Numerics;
using XformerDsl.Autograd;
using XformerDsl.Kernels;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Sinkhorn;

/// <summary>
/// Sinkhorn attention with the block attention on a generated kernel, through TorchSharp autograd: the sorting is
/// <see cref="SinkhornSorting"/> (TorchSharp ops), then the kernel reads the queries, the own keys and values in place
/// and the sorted keys and values (no concatenated copy), and writes the output and the gradients of all five.
/// </summary>
public static class SinkhornBlockAttention<TKernel> where TKernel : ISinkhornBlockKernel
{
    /// <summary>
    /// Sinkhorn attention (see <see cref="SinkhornAttentionReference"/>) with the block attention on this kernel, or
    /// wholly composed for tensors the kernel does not serve (<see cref="FusedKernelSupport.WhyNotFused"/>).
    /// </summary>
    /// <exception cref="ArgumentException">When the settings disagree with the kernel's block or causality, or shapes disagree.</exception>
    public static Tensor Attend(Tensor query, Tensor key, Tensor value, Tensor projection, SinkhornSettings settings, bool training, Tensor? keyPaddingMask)
    {
        if (settings.Block != TKernel.Block || settings.Causal != TKernel.Causal || settings.SortCut != 0)
            throw new ArgumentException($"Sinkhorn attention: the kernel attends blocks of {TKernel.Block}{(TKernel.Causal ? ", causal" : "")}, without SortCut; " +
                $"the settings ask for blocks of {settings.Block}{(settings.Causal ? ", causal" : "")}{(settings.SortCut > 0 ? $", SortCut = {settings.SortCut}" : "")}.");
        return FusedKernelSupport.WhyNotFused(query, key, value, keyPaddingMask) is null
            ? SinkhornAttentionReference.Attend(query, key, value, projection, settings, training, keyPaddingMask, Apply)
            : SinkhornAttentionReference.Forward(query, key, value, projection, settings, training, keyPaddingMask);
    }

    /// <summary>
    /// The block attention of <c>[batch, heads, length, headDim]</c> queries, keys, values (length a multiple of the
    /// block), the sorted blocks, and <paramref name="valid"/> bool <c>[batch, length]</c>: the rows
    /// <see cref="SinkhornAttentionReference.AttendBlocks"/> composes.
    /// </summary>
    public static Tensor Apply(Tensor query, Tensor key, Tensor value, SinkhornSortedBlocks sorted, Tensor valid)
    {
        using var scope = NewDisposeScope();
        var outputs = SinkhornBlockAttentionFunction<TKernel>.Run(query, key, value, sorted.Key, sorted.Value,
            sorted.Visible.to(ScalarType.Bool).contiguous(), valid.to(ScalarType.Bool).contiguous());
        return outputs[0].MoveToOuterDisposeScope();
    }

    internal static (Tensor Output, Tensor LogSumExp) RunForward(Tensor query, Tensor key, Tensor value, Tensor sortedKey, Tensor sortedValue,
        Tensor sortedVisible, Tensor valid, int vectorBits = 0)
    {
        var output = NativeHeap.EmptyLike(query);
        var logSumExp = NativeHeap.Empty(query.shape.Take(3).ToArray(), query.dtype, query.device);
        using var scope = NewDisposeScope();
        var call = new ForwardCall(query.contiguous(), key.contiguous(), value.contiguous(), sortedKey.contiguous(), sortedValue.contiguous(),
            output, logSumExp, valid, Blocks(sortedVisible));
        SimdDispatch.Run(query.dtype, call, vectorBits);
        return (output, logSumExp);
    }

    internal static Tensor[] RunBackward(Tensor query, Tensor key, Tensor value, Tensor sortedKey, Tensor sortedValue, Tensor sortedVisible, Tensor valid,
        Tensor output, Tensor logSumExp, Tensor outputGradient, int vectorBits = 0)
    {
        Tensor[] gradients = [NativeHeap.EmptyLike(query), NativeHeap.EmptyLike(key), NativeHeap.EmptyLike(value),
            NativeHeap.EmptyLike(sortedKey), NativeHeap.EmptyLike(sortedValue)];
        using var scope = NewDisposeScope();
        var forward = new ForwardCall(query.contiguous(), key.contiguous(), value.contiguous(), sortedKey.contiguous(), sortedValue.contiguous(),
            output.contiguous(), logSumExp.contiguous(), valid, Blocks(sortedVisible));
        SimdDispatch.Run(query.dtype, new BackwardCall(forward, outputGradient.contiguous(), gradients), vectorBits);
        return gradients;
    }

    private static unsafe SinkhornBlockArguments Blocks(Tensor sortedVisible) => new()
    {
        SortedVisible = TensorMemory.Pointer<byte>(sortedVisible),
        Blocks = (int)sortedVisible.shape[1],
    };

    // The kernel's tensors; the typed arguments are built once the dtype is known.
    private readonly struct ForwardCall(Tensor query, Tensor key, Tensor value, Tensor sortedKey, Tensor sortedValue,
        Tensor output, Tensor logSumExp, Tensor valid, SinkhornBlockArguments blocks) : ISimdCall
    {
        public SinkhornBlockArguments Blocks => blocks;

        public void Run<T, TVec, TOps>()
            where T : unmanaged, IFloatingPointIeee754<T>
            where TVec : struct
            where TOps : ISimdOps<TVec, T>
        {
            var (local, sorted) = Arguments<T>();
            TKernel.Forward<T, TVec, TOps>(local, sorted, blocks);
        }

        // The own keys and values with the padding mask; the sorted ones without (a sorted block is visible or skipped whole).
        public (AttentionForwardArguments<T> Local, AttentionForwardArguments<T> Sorted) Arguments<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
            (FusedKernelSupport.ForwardArguments<T>(query, key, value, output, logSumExp, valid, TKernel.HeadDim),
             FusedKernelSupport.ForwardArguments<T>(query, sortedKey, sortedValue, output, logSumExp, null, TKernel.HeadDim));
    }

    private readonly struct BackwardCall(ForwardCall forward, Tensor outputGradient, Tensor[] gradients) : ISimdCall
    {
        public void Run<T, TVec, TOps>()
            where T : unmanaged, IFloatingPointIeee754<T>
            where TVec : struct
            where TOps : ISimdOps<TVec, T>
        {
            var (local, sorted) = forward.Arguments<T>();
            var localGradients = FusedKernelSupport.BackwardArguments(local, outputGradient, gradients[0], gradients[1], gradients[2]);
            var sortedGradients = FusedKernelSupport.BackwardArguments(sorted, outputGradient, gradients[0], gradients[3], gradients[4]);
            using var delta = SoftmaxTileWorker<T, TVec, TOps>.OutputDotGradient(localGradients, TKernel.HeadDim);
            TKernel.Backward<T, TVec, TOps>(localGradients, sortedGradients, forward.Blocks, delta);
        }
    }
}
