using System.Numerics;
using System.Runtime.CompilerServices;
using TorchSharp;
using XformerDsl.Autograd;
using XformerDsl.Kernels;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Lsh;

/// <summary>
/// What the bucketed chunk kernel of LSH attention reads besides the sorted queries, keys and values (which travel in
/// <see cref="AttentionForwardArguments{T}"/> with Queries = Keys = rounds · length): where each sorted row came from,
/// and where every position sits in every round, for the masks and the duplicate count.
/// </summary>
public readonly unsafe struct LshChunkArguments
{
    /// <summary><c>[batch · heads, rounds · length]</c>: the position of each sorted row.</summary>
    public required long* Positions { get; init; }

    /// <summary><c>[batch · heads, rounds, length]</c>: the chunk (within its round) of each position in each round.</summary>
    public required long* ChunkOf { get; init; }

    /// <summary><c>[batch, length]</c> bytes: nonzero where the position is a real, visible key.</summary>
    public required byte* Valid { get; init; }

    /// <summary>Hashing rounds.</summary>
    public required int Rounds { get; init; }

    /// <summary>The padded length: positions per round.</summary>
    public required int Length { get; init; }

    /// <summary>Chunks per round: Length / BucketSize.</summary>
    public required int ChunksPerRound { get; init; }

    /// <summary>Heads per batch element (to find a row's batch element).</summary>
    public required int Heads { get; init; }

    /// <summary>Later positions are hidden.</summary>
    public required bool Causal { get; init; }
}

/// <summary>
/// The LSH-specific step of the bucketed chunk kernel, applied to a score tile after the shared score product: the
/// same scores <see cref="LshAttentionReference"/> computes. Hidden keys (padding, later positions when causal) score
/// <see cref="LshAttentionReference.HiddenScore"/>, a query against itself <see cref="LshAttentionReference.SelfScore"/>,
/// and every other pair is lowered by the log of the number of rounds whose window holds it; tile columns past the
/// chunk are −∞.
/// </summary>
public static unsafe class LshChunkMask
{
    /// <summary>Masks and corrects the worker's current score tile of (query rows, key chunk).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply<T, TVec, TOps>(SoftmaxTileWorker<T, TVec, TOps> worker, in LshChunkArguments lsh, int batchHead,
        int queryStart, int rows, int keyStart, int keyCount)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>
    {
        int keyTile = worker.KeyTile, rounds = lsh.Rounds, length = lsh.Length, chunks = lsh.ChunksPerRound;
        long* positions = lsh.Positions + (long)batchHead * rounds * length;
        long* chunkOf = lsh.ChunkOf + (long)batchHead * rounds * length;
        byte* valid = lsh.Valid + (long)(batchHead / lsh.Heads) * length;
        T hidden = T.CreateChecked(LshAttentionReference.HiddenScore), self = T.CreateChecked(LshAttentionReference.SelfScore);

        // Per key column, once per tile rather than once per (row, column): its position, whether it can be seen at
        // all, and in each round its chunk and the chunk that looks back at it (the next one, wrapping around).
        int pairs = rounds * keyCount;
        Span<long> keyPositions = keyCount <= 256 ? stackalloc long[keyCount] : new long[keyCount];
        Span<bool> keyVisible = keyCount <= 256 ? stackalloc bool[keyCount] : new bool[keyCount];
        Span<long> keyChunk = pairs <= 1024 ? stackalloc long[pairs] : new long[pairs];
        Span<long> keyNextChunk = pairs <= 1024 ? stackalloc long[pairs] : new long[pairs];
        for (int c = 0; c < keyCount; c++)
        {
            long key = positions[keyStart + c];
            keyPositions[c] = key;
            keyVisible[c] = valid[key] != 0;
            for (int round = 0; round < rounds; round++)
            {
                long chunk = chunkOf[(long)round * length + key];
                keyChunk[round * keyCount + c] = chunk;
                keyNextChunk[round * keyCount + c] = chunk + 1 == chunks ? 0 : chunk + 1;
            }
        }
        Span<long> queryChunk = rounds <= 64 ? stackalloc long[rounds] : new long[rounds];

        for (int r = 0; r < rows; r++)
        {
            T* row = worker.Scores + (long)r * keyTile;
            long query = positions[queryStart + r];
            for (int round = 0; round < rounds; round++)
                queryChunk[round] = chunkOf[(long)round * length + query];
            for (int c = 0; c < keyCount; c++)
            {
                long key = keyPositions[c];
                if (!keyVisible[c] || (lsh.Causal && key > query))
                    row[c] = hidden;
                else if (key == query)
                    row[c] = self;
                else
                {
                    // The rounds whose window (own chunk or the previous one) holds this pair: at least this one.
                    int count = 0;
                    for (int round = 0; round < rounds; round++)
                    {
                        long q = queryChunk[round];
                        count += (q == keyChunk[round * keyCount + c] ? 1 : 0) + (q == keyNextChunk[round * keyCount + c] ? 1 : 0);
                    }
                    if (count > 1)
                        row[c] -= T.Log(T.CreateChecked(count));
                }
            }
            for (int c = keyCount; c < keyTile; c++)
                row[c] = T.NegativeInfinity;
        }
    }

    /// <summary>
    /// Zeroes the score gradients of the entries <see cref="Apply{T,TVec,TOps}"/> set to constants (hidden keys and the
    /// query itself): those scores do not depend on the query or key, so no gradient flows through them to either.
    /// Call between <c>ValueAndScoreGradients</c> and <c>PropagateScoreGradients</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ZeroConstantScoreGradients<T, TVec, TOps>(SoftmaxTileWorker<T, TVec, TOps> worker, in LshChunkArguments lsh, int batchHead,
        int queryStart, int rows, int keyStart, int keyCount)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>
    {
        int keyTile = worker.KeyTile, length = lsh.Length;
        long* positions = lsh.Positions + (long)batchHead * lsh.Rounds * length;
        byte* valid = lsh.Valid + (long)(batchHead / lsh.Heads) * length;
        for (int r = 0; r < rows; r++)
        {
            T* row = worker.ScoreGradients + (long)r * keyTile;
            long query = positions[queryStart + r];
            for (int c = 0; c < keyCount; c++)
            {
                long key = positions[keyStart + c];
                if (key == query || valid[key] == 0 || (lsh.Causal && key > query))
                    row[c] = T.Zero;
            }
        }
    }

    /// <summary>
    /// D − dLSE for every sorted query: the softmax correction term when the log-sum-exp is an output too (the rounds
    /// are combined by it), since ∂lse/∂S = P. Replaces <see cref="SoftmaxTileWorker{T,TVec,TOps}.OutputDotGradient"/>'s result in place.
    /// </summary>
    public static void SubtractLogSumExpGradient<T>(QueryScalars<T> delta, T* logSumExpGradient, int batchHeads, int queries)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int bh = 0; bh < batchHeads; bh++)
        {
            T* d = delta.Of(bh, 0);
            T* g = logSumExpGradient + (long)bh * queries;
            for (int q = 0; q < queries; q++)
                d[q] -= g[q];
        }
    }
}

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

/// <summary>
/// Runs a generated bucketed chunk kernel on the sorted rows of LSH attention, through TorchSharp autograd: the
/// sorted queries, keys and values in, the attended rows and their log-sum-exp out (both differentiable).
/// </summary>
public static class LshChunkAttention<TKernel> where TKernel : ILshChunkKernel
{
    /// <summary>
    /// Null when the kernel serves these tensors; otherwise why not: what <see cref="FusedKernelSupport.WhyNotFused"/>
    /// rules out (the shared query-keys serve as queries and keys), or sorted rounds over 2 GiB.
    /// </summary>
    public static string? WhyNotFused(Tensor queryKey) =>
        FusedKernelSupport.WhyNotFused(queryKey, queryKey, queryKey, null)
        ?? (queryKey.numel() * queryKey.ElementSize * 4 > TensorMemory.MaxBytes ? "the sorted rounds are larger than 2 GiB" : null);

    /// <summary>
    /// The chunk attention of sorted rows <c>[batch, heads, rounds · length, headDim]</c>: output of that shape and
    /// log-sum-exp <c>[batch, heads, rounds · length]</c>. <paramref name="positions"/> is <c>[batch, heads, rounds · length]</c>,
    /// <paramref name="chunkOf"/> <c>[batch, heads, rounds, length]</c> (int64), <paramref name="valid"/> bool <c>[batch, length]</c>.
    /// </summary>
    public static (Tensor Output, Tensor LogSumExp) Apply(Tensor query, Tensor key, Tensor value, Tensor positions, Tensor chunkOf, Tensor valid, bool causal)
    {
        using var scope = NewDisposeScope();
        // The autograd node saves the index tensors with the rest, so they live until its backward pass has run.
        var outputs = LshChunkAttentionFunction<TKernel>.Run(query, key, value,
            positions.contiguous(), chunkOf.contiguous(), valid.to(ScalarType.Bool).contiguous(), causal);
        return (outputs[0].MoveToOuterDisposeScope(), outputs[1].MoveToOuterDisposeScope());
    }

    /// <summary>
    /// LSH attention (see <see cref="LshAttentionReference"/>) with the chunk attention on this kernel, or wholly on the
    /// reference for tensors the kernel does not serve (<see cref="WhyNotFused"/>).
    /// </summary>
    public static Tensor Attend(Tensor queryKey, Tensor value, Tensor rotations, bool causal, Tensor? keyPaddingMask) =>
        WhyNotFused(queryKey) is null
            ? LshAttentionReference.Attend(queryKey, value, rotations, TKernel.BucketSize, causal, keyPaddingMask,
                (q, k, v, positions, chunkOf, valid, _, c) => Apply(q, k, v, positions, chunkOf, valid, c))
            : LshAttentionReference.Forward(queryKey, value, rotations, TKernel.BucketSize, causal, keyPaddingMask);

    /// <summary>The index tensors of a call: contiguous, bool for <paramref name="Valid"/>.</summary>
    internal sealed record Plan(Tensor Positions, Tensor ChunkOf, Tensor Valid, bool Causal);

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
        Positions = TensorMemory.Pointer<long>(plan.Positions),
        ChunkOf = TensorMemory.Pointer<long>(plan.ChunkOf),
        Valid = TensorMemory.Pointer<byte>(plan.Valid),
        Rounds = (int)plan.ChunkOf.shape[2],
        Length = (int)plan.ChunkOf.shape[3],
        ChunksPerRound = (int)(plan.ChunkOf.shape[3] / TKernel.BucketSize),
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

/// <summary>The autograd node of <see cref="LshChunkAttention{TKernel}"/>: saves the sorted rows, the index tensors, output and log-sum-exp.</summary>
public sealed class LshChunkAttentionFunction<TKernel> : FusedKernelFunction<LshChunkAttentionFunction<TKernel>>
    where TKernel : ILshChunkKernel
{
    /// <inheritdoc/>
    public override string Name => "LshChunkAttention";

    /// <summary>
    /// Inputs: sorted query, key, value, then positions, chunkOf, valid (contiguous; valid bool) and causal.
    /// Outputs: attended rows, log-sum-exp.
    /// </summary>
    protected override (List<Tensor> Outputs, List<Tensor> Residuals) Forward(object?[] inputs)
    {
        var (output, logSumExp) = LshChunkAttention<TKernel>.RunForward((Tensor)inputs[0]!, (Tensor)inputs[1]!, (Tensor)inputs[2]!, PlanOf(inputs));
        return ([output, logSumExp], []);
    }

    /// <summary>The gradients of the sorted query, key and value; none for the index tensors.</summary>
    protected override List<Tensor> Backward(object?[] inputs, List<Tensor> outputs, List<Tensor> residuals, List<Tensor> outputGradients)
    {
        var (query, key, value) = LshChunkAttention<TKernel>.RunBackward((Tensor)inputs[0]!, (Tensor)inputs[1]!, (Tensor)inputs[2]!,
            outputs[0], outputs[1], outputGradients[0], outputGradients[1], PlanOf(inputs));
        return [query, key, value, null!, null!, null!, null!];
    }

    private static LshChunkAttention<TKernel>.Plan PlanOf(object?[] inputs) =>
        new((Tensor)inputs[3]!, (Tensor)inputs[4]!, (Tensor)inputs[5]!, (bool)inputs[6]!);
}
