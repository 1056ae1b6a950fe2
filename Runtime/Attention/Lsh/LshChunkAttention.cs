using System.Numerics;
using XformerDsl.Attention.Sorted;
using XformerDsl.Autograd;
using XformerDsl.Kernels;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Lsh;

/// <summary>
/// Runs a generated bucketed chunk kernel on the sorted rows of LSH attention, through TorchSharp autograd: the
/// sorted queries, keys and values in, the attended rows and their log-sum-exp out (both differentiable).
/// </summary>
public static class LshChunkAttention<TKernel> where TKernel : ILshChunkKernel
{
    /// <summary>
    /// Null when the kernel serves these tensors; otherwise why not: what <see cref="FusedKernelSupport.WhyNotFused"/>
    /// rules out (the shared query-keys serve as queries and keys), or sorted rounds (every round of the padded sequence,
    /// gathered in bucket order) over 2 GiB.
    /// </summary>
    public static string? WhyNotFused(Tensor queryKey, Tensor rotations)
    {
        if (FusedKernelSupport.WhyNotFused(queryKey, queryKey, queryKey, null) is { } reason)
            return reason;
        long rounds = rotations.dim() == 4 ? rotations.shape[2] : 1;
        long sortedBytes = LshLayout.SortedRoundsBytes(queryKey.shape[0], queryKey.shape[1], queryKey.shape[2], queryKey.shape[3],
            rounds, TKernel.BucketSize, queryKey.ElementSize);
        return sortedBytes > TensorMemory.MaxBytes ? "the sorted rounds are larger than 2 GiB" : null;
    }

    /// <summary>
    /// The chunk attention of sorted rows <c>[batch, heads, rounds · length, headDim]</c>: output of that shape and
    /// log-sum-exp <c>[batch, heads, rounds · length]</c>. <paramref name="positions"/> is <c>[batch, heads, rounds · length]</c>,
    /// <paramref name="chunkOf"/> <c>[batch, heads, rounds, length]</c> (int64), <paramref name="valid"/> bool <c>[batch, length]</c>.
    /// </summary>
    public static (Tensor Output, Tensor LogSumExp) Apply(Tensor query, Tensor key, Tensor value, Tensor positions, Tensor chunkOf, Tensor valid, bool causal)
    {
        using var scope = NewDisposeScope();
        // The autograd node saves the index tensors with the rest, so they live until its backward pass has run.
        var chunks = SortedChunkPlan.Of(positions, chunkOf, TKernel.BucketSize);
        var outputs = LshChunkAttentionFunction<TKernel>.Run(query, key, value,
            chunks.Positions, chunks.ChunkOf, valid.to(ScalarType.Bool).contiguous(), causal);
        return (outputs[0].MoveToOuterDisposeScope(), outputs[1].MoveToOuterDisposeScope());
    }

    /// <summary>
    /// LSH attention (see <see cref="LshAttentionReference"/>) with the chunk attention on this kernel, or wholly on the
    /// reference for tensors the kernel does not serve (<see cref="WhyNotFused"/>).
    /// </summary>
    public static Tensor Attend(Tensor queryKey, Tensor value, Tensor rotations, bool causal, Tensor? keyPaddingMask) =>
        WhyNotFused(queryKey, rotations) is null
            ? LshAttentionReference.Attend(queryKey, value, rotations, TKernel.BucketSize, causal, keyPaddingMask,
                (q, k, v, positions, chunkOf, valid, _, c) => Apply(q, k, v, positions, chunkOf, valid, c))
            : LshAttentionReference.Forward(queryKey, value, rotations, TKernel.BucketSize, causal, keyPaddingMask);

    /// <summary>What the kernel reads besides the rows: the sorting, and LSH's mask inputs (contiguous bool <paramref name="Valid"/>).</summary>
    internal sealed record Plan(SortedChunkPlan Chunks, Tensor Valid, bool Causal);

    internal static (Tensor Output, Tensor LogSumExp) RunForward(Tensor query, Tensor key, Tensor value, Plan plan, int vectorBits = 0)
    {
        var output = NativeHeap.EmptyLike(query);
        var logSumExp = NativeHeap.Empty(query.shape.Take(3).ToArray(), query.dtype, query.device);
        using var scope = NewDisposeScope();
        var (q, k, v) = (query.contiguous(), key.contiguous(), value.contiguous());
        SimdDispatch.Run(query.dtype, new ForwardCall(q, k, v, output, logSumExp, Lsh(plan, q)), vectorBits);
        return (output, logSumExp);
    }

    internal static (Tensor Query, Tensor Key, Tensor Value) RunBackward(Tensor query, Tensor key, Tensor value, Tensor output,
        Tensor logSumExp, Tensor outputGradient, Tensor logSumExpGradient, Plan plan, int vectorBits = 0)
    {
        var queryGradient = NativeHeap.EmptyLike(query);
        var keyGradient = NativeHeap.EmptyLike(key);
        var valueGradient = NativeHeap.EmptyLike(value);
        using var scope = NewDisposeScope();
        var (q, k, v, o, lse) = (query.contiguous(), key.contiguous(), value.contiguous(), output.contiguous(), logSumExp.contiguous());
        var dO = outputGradient.contiguous();
        var dLse = logSumExpGradient.contiguous();
        SimdDispatch.Run(query.dtype, new BackwardCall(new ForwardCall(q, k, v, o, lse, Lsh(plan, q)), dO, dLse, queryGradient, keyGradient, valueGradient), vectorBits);
        return (queryGradient, keyGradient, valueGradient);
    }

    private static unsafe LshChunkArguments Lsh(Plan plan, Tensor query) => new()
    {
        Positions = TensorMemory.Pointer<long>(plan.Chunks.Positions),
        ChunkOf = TensorMemory.Pointer<long>(plan.Chunks.ChunkOf),
        Valid = TensorMemory.Pointer<byte>(plan.Valid),
        Rounds = plan.Chunks.Rounds,
        Length = plan.Chunks.Length,
        ChunksPerRound = plan.Chunks.ChunksPerRound,
        Heads = (int)query.shape[1],
        Causal = plan.Causal,
    };

    // The kernel's tensors; the typed arguments are built once the dtype is known.
    private readonly struct ForwardCall(Tensor query, Tensor key, Tensor value, Tensor output, Tensor logSumExp, LshChunkArguments lsh) : ISimdCall
    {
        public LshChunkArguments Lsh => lsh;

        public void Run<T, TVec, TOps>()
            where T : unmanaged, IFloatingPointIeee754<T>
            where TVec : struct
            where TOps : ISimdOps<TVec, T> =>
            TKernel.Forward<T, TVec, TOps>(Arguments<T>(), lsh);

        public AttentionForwardArguments<T> Arguments<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
            FusedKernelSupport.ForwardArguments<T>(query, key, value, output, logSumExp, null, TKernel.HeadDim);
    }

    private readonly struct BackwardCall(ForwardCall forward, Tensor outputGradient, Tensor logSumExpGradient,
        Tensor queryGradient, Tensor keyGradient, Tensor valueGradient) : ISimdCall
    {
        public unsafe void Run<T, TVec, TOps>()
            where T : unmanaged, IFloatingPointIeee754<T>
            where TVec : struct
            where TOps : ISimdOps<TVec, T>
        {
            var args = FusedKernelSupport.BackwardArguments(forward.Arguments<T>(), outputGradient, queryGradient, keyGradient, valueGradient);
            using var delta = SoftmaxTileWorker<T, TVec, TOps>.OutputDotGradient(args, TKernel.HeadDim);
            LshChunkMask.SubtractLogSumExpGradient(delta, TensorMemory.Pointer<T>(logSumExpGradient), args.Forward.BatchHeads, args.Forward.Queries);
            TKernel.Backward<T, TVec, TOps>(args, forward.Lsh, delta);
        }
    }
}
