using System.Numerics;
using System.Runtime.CompilerServices;
using XformerDsl.Kernels;

namespace XformerDsl.Attention.Sorted;

/// <summary>
/// What the fused attention over <see cref="CausalGroupWindows"/> reads and writes: rows in position order (no sorted
/// copies; the kernel reads them through the sort order), the sorting, and the sizes.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public readonly unsafe struct CausalGroupWindowArguments<T> where T : unmanaged
{
    /// <summary><c>[batch · heads, length, headDim]</c> rows, contiguous.</summary>
    public required T* Query { get; init; }

    /// <inheritdoc cref="Query"/>
    public required T* Key { get; init; }

    /// <inheritdoc cref="Query"/>
    public required T* Value { get; init; }

    /// <summary><c>[batch · heads, length, headDim]</c>: the attended rows.</summary>
    public required T* Output { get; init; }

    /// <summary><c>[batch · heads, length]</c>: the log-sum-exp of every query's scores.</summary>
    public required T* LogSumExp { get; init; }

    /// <summary><c>[batch · heads, rounds, length]</c>: each position's group, the position at each sorted index, each position's sorted index.</summary>
    public required long* Groups { get; init; }

    /// <inheritdoc cref="Groups"/>
    public required long* Order { get; init; }

    /// <inheritdoc cref="Groups"/>
    public required long* Rank { get; init; }

    /// <summary><c>[batch, length]</c> bytes: nonzero where the position is a visible key.</summary>
    public required byte* Valid { get; init; }

    /// <summary>Batch elements times heads.</summary>
    public required int BatchHeads { get; init; }

    /// <summary>Heads per batch element (to find a row's batch element).</summary>
    public required int Heads { get; init; }

    /// <summary>Positions.</summary>
    public required int Length { get; init; }

    /// <summary>The head size.</summary>
    public required int HeadDim { get; init; }

    /// <summary>Rounds of grouping.</summary>
    public required int Rounds { get; init; }

    /// <summary>Earlier keys of its group a query sees per round.</summary>
    public required int Window { get; init; }

    /// <summary>1/√headDim.</summary>
    public required T Scale { get; init; }

    /// <summary>When true, a query scores itself <see cref="SelfScore"/> (a constant, without gradient) instead of q·k.</summary>
    public required bool HasSelfScore { get; init; }

    /// <summary>See <see cref="HasSelfScore"/>.</summary>
    public required T SelfScore { get; init; }

    /// <summary>Threads to run on.</summary>
    public required int Threads { get; init; }
}

/// <summary>
/// The fused forward and backward passes of the attention over <see cref="CausalGroupWindows"/>, equal to
/// <see cref="CausalGroupWindowReference"/>. A query's keys are found through the sort order (the sorted rows just before
/// its own that share its group) and read where they lie; each query's scores are computed whole, in a fixed order (round
/// by round, earlier keys first, itself last), so its result depends only on its own keys and not on how later positions
/// fell: bit for bit the same when later tokens change. Forward: one task per (batch·head, block of queries); backward:
/// one task per batch·head, which owns the key and value gradients of its rows. With one round, where each group is a
/// contiguous run of the sorted order, both passes hand over to the tiled <see cref="CausalGroupRunKernel{T,TVec,TOps}"/>.
/// </summary>
public static unsafe class CausalGroupWindowKernel<T, TVec, TOps>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TVec : struct
    where TOps : ISimdOps<TVec, T>
{
    private const int QueryBlock = 128;

    /// <summary>Writes the output and log-sum-exp of every query.</summary>
    public static void Forward(CausalGroupWindowArguments<T> a)
    {
        if (a.Rounds == 1)
        {
            CausalGroupRunKernel<T, TVec, TOps>.Forward(a);
            return;
        }
        int blocks = (a.Length + QueryBlock - 1) / QueryBlock;
        KernelParallel.For(a.BatchHeads * blocks, a.Threads, () => new Scratch(a),
            (task, scratch) => ForwardBlock(a, scratch, task / blocks, task % blocks * QueryBlock));
    }

    // The loops below carry AggressiveOptimization: compiled fully optimised on first use, they also compute the same bits
    // from the first call on (tier-0 code rounds differently), which bit-identical causality relies on.

    // Queries first .. first + QueryBlock of batch·head bh, in the first round's sorted order: neighbours there share
    // most of their window, whose rows stay in cache.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardBlock(in CausalGroupWindowArguments<T> a, Scratch scratch, int bh, int first)
    {
        long rows = (long)bh * a.Length;
        long* order = a.Order + (long)bh * a.Rounds * a.Length;
        int end = Math.Min(a.Length, first + QueryBlock);
        for (int index = first; index < end; index++)
        {
            int p = (int)order[index];
            int count = scratch.Score(a, bh, p);
            T max = scratch.Max(count);
            T sum = scratch.Exponentiate(count, max);
            T* output = a.Output + (rows + p) * a.HeadDim;
            new Span<T>(output, a.HeadDim).Clear();
            T inverse = T.One / sum;
            T* weights = scratch.Scores;
            for (int e = 0; e < count; e++)
                VectorSteps<T, TVec, TOps>.Axpy(weights[e] * inverse, a.Value + (rows + scratch.Keys[e]) * a.HeadDim, output, a.HeadDim);
            a.LogSumExp[rows + p] = max + T.Log(sum);
        }
    }

    /// <summary>
    /// Writes the query, key and value gradients (<paramref name="queryGradient"/>, <paramref name="keyGradient"/>,
    /// <paramref name="valueGradient"/>, <c>[batch · heads, length, headDim]</c>) for the output gradient
    /// <paramref name="outputGradient"/>; the forward pass's output and log-sum-exp are in <paramref name="a"/>.
    /// </summary>
    public static void Backward(CausalGroupWindowArguments<T> a, T* outputGradient, T* queryGradient, T* keyGradient, T* valueGradient)
    {
        if (a.Rounds == 1)
        {
            CausalGroupRunKernel<T, TVec, TOps>.Backward(a, outputGradient, queryGradient, keyGradient, valueGradient);
            return;
        }
        // One task per batch·head: each owns the key and value gradients of its rows.
        KernelParallel.For(a.BatchHeads, a.Threads, () => new Scratch(a),
            (bh, scratch) => BackwardHead(a, scratch, bh, outputGradient, queryGradient, keyGradient, valueGradient));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardHead(in CausalGroupWindowArguments<T> a, Scratch scratch, int bh,
        T* outputGradient, T* queryGradient, T* keyGradient, T* valueGradient)
    {
        int d = a.HeadDim;
        long rows = (long)bh * a.Length;
        new Span<T>(queryGradient + rows * d, a.Length * d).Clear();
        new Span<T>(keyGradient + rows * d, a.Length * d).Clear();
        new Span<T>(valueGradient + rows * d, a.Length * d).Clear();
        long* order = a.Order + (long)bh * a.Rounds * a.Length;
        for (int index = 0; index < a.Length; index++)
        {
            int p = (int)order[index];
            int count = scratch.Score(a, bh, p);
            // The probabilities from the saved log-sum-exp.
            scratch.Exponentiate(count, a.LogSumExp[rows + p]);
            T* probabilities = scratch.Scores;
            T* gradient = outputGradient + (rows + p) * d;
            T* query = a.Query + (rows + p) * d;
            T* dQuery = queryGradient + (rows + p) * d;
            // D = dO · O: the softmax's correction term.
            T correction = VectorSteps<T, TVec, TOps>.Dot(gradient, a.Output + (rows + p) * d, d);
            for (int e = 0; e < count; e++)
            {
                long key = rows + scratch.Keys[e];
                T probability = probabilities[e];
                VectorSteps<T, TVec, TOps>.Axpy(probability, gradient, valueGradient + key * d, d);
                // The self score is a constant when given: no gradient reaches the query or key through it.
                if (e == count - 1 && a.HasSelfScore)
                    continue;
                T scoreGradient = probability * (VectorSteps<T, TVec, TOps>.Dot(gradient, a.Value + key * d, d) - correction) * a.Scale;
                VectorSteps<T, TVec, TOps>.Axpy(scoreGradient, a.Key + key * d, dQuery, d);
                VectorSteps<T, TVec, TOps>.Axpy(scoreGradient, query, keyGradient + key * d, d);
            }
        }
    }

    // One worker's list of a query's keys (positions within the batch·head) and their scores.
    private sealed class Scratch : IDisposable
    {
        private readonly NativeBuffer<T> _scores;
        private readonly long[] _queryGroup, _queryRank;

        public Scratch(in CausalGroupWindowArguments<T> a)
        {
            int capacity = a.Rounds * a.Window + 1;
            Keys = new int[capacity];
            // Whole vectors, so the exponentials run on vectors; the entries past a query's keys are −∞.
            _scores = new NativeBuffer<T>((capacity + TOps.Count - 1) / TOps.Count * TOps.Count);
            _queryGroup = new long[a.Rounds];
            _queryRank = new long[a.Rounds];
        }

        public int[] Keys { get; }

        public T* Scores => _scores.Pointer;

        // Lists query p's keys, round by round, earlier first, then p itself, with their scores; returns how many.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public int Score(in CausalGroupWindowArguments<T> a, int bh, int p)
        {
            int length = a.Length, rounds = a.Rounds, window = a.Window, d = a.HeadDim;
            long* groups = a.Groups + (long)bh * rounds * length;
            long* order = a.Order + (long)bh * rounds * length;
            long* rank = a.Rank + (long)bh * rounds * length;
            byte* valid = a.Valid + (long)(bh / a.Heads) * length;
            T* query = a.Query + ((long)bh * length + p) * d;
            T* keys = a.Key + (long)bh * length * d;
            T* scores = Scores;
            for (int round = 0; round < rounds; round++)
            {
                _queryGroup[round] = groups[(long)round * length + p];
                _queryRank[round] = rank[(long)round * length + p];
            }
            int count = 0;
            for (int round = 0; round < rounds; round++)
            {
                long offset = (long)round * length, own = _queryRank[round], group = _queryGroup[round];
                // The rows of the query's group just before it in sorted order: back to the group's start or the window's.
                long start = own;
                while (start > 0 && own - start < window && groups[offset + order[offset + start - 1]] == group)
                    start--;
                for (long index = start; index < own; index++)
                {
                    int key = (int)order[offset + index];
                    if (valid[key] == 0)
                        continue;
                    // Counted once over the rounds: lowered by the log of the number of rounds whose window holds it.
                    int holding = 1;
                    for (int other = 0; other < rounds; other++)
                    {
                        if (other == round)
                            continue;
                        long otherOffset = (long)other * length, behind = _queryRank[other] - rank[otherOffset + key];
                        if (behind > 0 && behind <= window && groups[otherOffset + key] == _queryGroup[other])
                            holding++;
                    }
                    T score = VectorSteps<T, TVec, TOps>.Dot(query, keys + (long)key * d, d) * a.Scale;
                    Keys[count] = key;
                    scores[count++] = holding > 1 ? score - T.Log(T.CreateTruncating(holding)) : score;
                }
            }
            Keys[count] = p;
            scores[count++] = a.HasSelfScore ? a.SelfScore : VectorSteps<T, TVec, TOps>.Dot(query, keys + (long)p * d, d) * a.Scale;
            return count;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public T Max(int count)
        {
            T* scores = Scores;
            T max = scores[0];
            for (int e = 1; e < count; e++)
                max = T.Max(max, scores[e]);
            return max;
        }

        // Replaces the first count scores s by e^(s − shift) and returns their sum, added in order.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public T Exponentiate(int count, T shift)
        {
            T* scores = Scores;
            int padded = (count + TOps.Count - 1) / TOps.Count * TOps.Count;
            for (int e = count; e < padded; e++)
                scores[e] = T.NegativeInfinity;
            VectorSteps<T, TVec, TOps>.Exponentiate(scores, padded, shift);
            T sum = T.Zero;
            for (int e = 0; e < count; e++)
                sum += scores[e];
            return sum;
        }

        public void Dispose() => _scores.Dispose();
    }
}
