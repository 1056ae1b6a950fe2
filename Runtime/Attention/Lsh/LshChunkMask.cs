using System.Numerics;
using System.Runtime.CompilerServices;
using XformerDsl.Kernels;

namespace XformerDsl.Attention.Lsh;

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
