using System.Numerics;
using System.Runtime.CompilerServices;
using XformerDsl.Kernels;

namespace XformerDsl.Attention.Routing;

/// <summary>
/// What the fused attention inside clusters (<see cref="BalancedClusterAttention"/>) reads and writes: rows in position
/// order, each cluster's member list as given (the kernel keeps the valid members and puts them in position order), and
/// the sizes.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public readonly unsafe struct BalancedClusterArguments<T> where T : unmanaged
{
    /// <summary><c>[batch · heads, length, headDim]</c> rows, contiguous: the shared query-keys.</summary>
    public required T* QueryKey { get; init; }

    /// <inheritdoc cref="QueryKey"/>
    public required T* Value { get; init; }

    /// <summary><c>[batch · heads, length, headDim]</c>: each token's mean over its clusters, or its value.</summary>
    public required T* Output { get; init; }

    /// <summary>
    /// <c>[batch · heads, clusters, window]</c>: the log-sum-exp of each cluster's valid members, in position order
    /// (slot i is the i-th valid member by position; the slots after them hold zero).
    /// </summary>
    public required T* LogSumExp { get; init; }

    /// <summary><c>[batch · heads, clusters, window]</c>: member positions, in [0, length) where the slot is valid.</summary>
    public required long* Members { get; init; }

    /// <summary><c>[batch · heads, clusters, window]</c> bytes: nonzero where the slot holds a visible token.</summary>
    public required byte* MemberValid { get; init; }

    /// <summary>Batch elements times heads.</summary>
    public required int BatchHeads { get; init; }

    /// <summary>Positions.</summary>
    public required int Length { get; init; }

    /// <summary>The head size.</summary>
    public required int HeadDim { get; init; }

    /// <summary>Clusters per batch·head.</summary>
    public required int Clusters { get; init; }

    /// <summary>Member slots per cluster.</summary>
    public required int Window { get; init; }

    /// <summary>When true, a member sees only the members at its position or before.</summary>
    public required bool Causal { get; init; }

    /// <summary>1/√headDim.</summary>
    public required T Scale { get; init; }

    /// <summary>The score of a member with itself: a constant, without gradient.</summary>
    public required T SelfScore { get; init; }

    /// <summary>Threads to run on.</summary>
    public required int Threads { get; init; }
}

/// <summary>
/// The fused forward and backward passes of <see cref="BalancedClusterAttention"/>, equal to its composition
/// (<see cref="BalancedClusterAttention.Compose"/>). One task per batch·head loops over its clusters and owns its rows'
/// outputs and gradients, so a token in several clusters gathers its sums without races and in a fixed order
/// (deterministic). With fewer batch·heads than threads, each batch·head's clusters are split into parts, each part's
/// task summing into rows of its own, added up in part order afterwards. Per cluster, the valid members' rows are packed
/// in position order (keys transposed and scaled, rows, values), and tiles of consecutive members, as queries, are
/// scored against the members they see with <see cref="TileProduct"/>: all of them, or in a causal model those up to
/// their position. Nothing larger than a score tile <c>[query tile × window]</c> is allocated; the backward pass
/// recomputes the probabilities from the saved log-sum-exp, and D = dO·O as Σ P ∘ dP (without the outputs).
/// </summary>
internal static unsafe class BalancedClusterKernel<T, TVec, TOps>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TVec : struct
    where TOps : ISimdOps<TVec, T>
{
    // Queries per tile: at most 64, fewer when the window is long, so a score tile stays near half a megabyte (L2).
    private const int MaxQueryTile = 64;
    private const long TileBytes = 512 * 1024;

    /// <summary>Writes every token's output and every cluster's log-sum-exp.</summary>
    public static void Forward(BalancedClusterArguments<T> a)
    {
        int parts = Parts(a);
        using var partials = Partials(a, parts, slabs: 1);
        T* extra = partials is null ? null : partials.Pointer;
        KernelParallel.For(a.BatchHeads * parts, a.Threads, () => new Scratch(a, backward: false), (task, scratch) =>
        {
            int bh = task / parts, part = task % parts;
            T* sums = Slab(a, a.Output, extra, bh, part, parts);
            new Span<T>(sums, a.Length * a.HeadDim).Clear();
            for (int cluster = FirstCluster(a, part, parts); cluster < FirstCluster(a, part + 1, parts); cluster++)
                ForwardCluster(a, scratch, bh, cluster, sums);
            if (parts == 1)
                FinishForward(a, bh, scratch.Memberships);
        });
        if (parts > 1)
            KernelParallel.For(a.BatchHeads, a.Threads, () => new MembershipCounts(a.Length), (bh, memberships) =>
            {
                AddParts(a, a.Output, extra, bh, parts);
                FinishForward(a, bh, memberships);
            });
    }

    /// <summary>Writes the gradients of the query-keys and values, from the gradient of the output.</summary>
    public static void Backward(BalancedClusterArguments<T> a, T* outputGradient, T* queryKeyGradient, T* valueGradient)
    {
        int parts = Parts(a);
        using var partials = Partials(a, parts, slabs: 2);
        T* extraKeys = partials is null ? null : partials.Pointer;
        T* extraValues = partials is null ? null : extraKeys + (parts - 1L) * a.BatchHeads * a.Length * a.HeadDim;
        KernelParallel.For(a.BatchHeads * parts, a.Threads, () => new Scratch(a, backward: true), (task, scratch) =>
        {
            int bh = task / parts, part = task % parts;
            T* keyGradient = Slab(a, queryKeyGradient, extraKeys, bh, part, parts);
            T* valueGradientRows = Slab(a, valueGradient, extraValues, bh, part, parts);
            new Span<T>(keyGradient, a.Length * a.HeadDim).Clear();
            new Span<T>(valueGradientRows, a.Length * a.HeadDim).Clear();
            scratch.Memberships.Count(a, bh);
            for (int cluster = FirstCluster(a, part, parts); cluster < FirstCluster(a, part + 1, parts); cluster++)
                BackwardCluster(a, scratch, bh, cluster, outputGradient, keyGradient, valueGradientRows);
            if (parts == 1)
                FinishBackward(a, bh, scratch.Memberships, outputGradient, valueGradient);
        });
        if (parts > 1)
            KernelParallel.For(a.BatchHeads, a.Threads, () => new MembershipCounts(a.Length), (bh, memberships) =>
            {
                AddParts(a, queryKeyGradient, extraKeys, bh, parts);
                AddParts(a, valueGradient, extraValues, bh, parts);
                memberships.Count(a, bh);
                FinishBackward(a, bh, memberships, outputGradient, valueGradient);
            });
    }

    // Parts per batch·head: enough tasks for every thread when there are fewer batch·heads, at most one per cluster (and
    // one when there are no clusters, which still writes every token's value).
    private static int Parts(in BalancedClusterArguments<T> a) =>
        a.BatchHeads >= a.Threads ? 1 : Math.Max(1, Math.Min(a.Clusters, (a.Threads + a.BatchHeads - 1) / a.BatchHeads));

    private static int FirstCluster(in BalancedClusterArguments<T> a, int part, int parts) => (int)((long)part * a.Clusters / parts);

    // The rows parts after the first sum into: [parts − 1, batch·heads, length, headDim] per slab.
    private static NativeBuffer<T>? Partials(in BalancedClusterArguments<T> a, int parts, int slabs) =>
        parts == 1 ? null : new NativeBuffer<T>(slabs * (parts - 1L) * a.BatchHeads * a.Length * a.HeadDim);

    // Batch·head bh's rows for part `part`: the first part's are the result's own, the others' in the partial buffer.
    private static T* Slab(in BalancedClusterArguments<T> a, T* result, T* partials, int bh, int part, int parts)
    {
        long rows = (long)a.Length * a.HeadDim;
        return part == 0 ? result + bh * rows : partials + ((part - 1L) * a.BatchHeads + bh) * rows;
    }

    // Adds the later parts' rows to the first part's, in part order.
    private static void AddParts(in BalancedClusterArguments<T> a, T* result, T* partials, int bh, int parts)
    {
        int n = a.Length * a.HeadDim;
        for (int part = 1; part < parts; part++)
            VectorSteps<T, TVec, TOps>.Add(result + (long)bh * n, Slab(a, result, partials, bh, part, parts), n);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardCluster(in BalancedClusterArguments<T> a, Scratch s, int bh, int cluster, T* sums)
    {
        int d = a.HeadDim, pd = s.PaddedHeadDim;
        int members = s.Pack(a, bh, cluster);
        T* logSumExp = a.LogSumExp + ((long)bh * a.Clusters + cluster) * a.Window;
        new Span<T>(logSumExp + members, a.Window - members).Clear();
        for (int first = 0; first < members; first += s.QueryTile)
        {
            int queries = Math.Min(s.QueryTile, members - first);
            var tile = s.ScoreTile(first, queries);
            for (int r = 0; r < queries; r++)
                logSumExp[first + r] = s.Exponentials(a, tile, r);
            // O = P·V over the keys the tile sees, with P's normalisation applied to O's rows (fewer than P's); a
            // member's exponentials are zero past its keys.
            TileProduct.Multiply<T, TVec, TOps>(queries, pd, tile.Keys, s.Scores, s.ScoreStride, 1,
                s.Values, pd, s.TileRows, pd, accumulate: false);
            for (int r = 0; r < queries; r++)
                VectorSteps<T, TVec, TOps>.Axpy(s.InverseSums[r], s.TileRows + (long)r * pd, sums + s.Positions[first + r] * d, d);
        }
    }

    // The summed rows of batch·head bh to the mean over each token's clusters, or its value where it is in none.
    private static void FinishForward(in BalancedClusterArguments<T> a, int bh, MembershipCounts memberships)
    {
        int d = a.HeadDim;
        long rows = (long)bh * a.Length;
        memberships.Count(a, bh);
        for (int p = 0; p < a.Length; p++)
        {
            int count = memberships.Counts[p];
            T* row = a.Output + (rows + p) * d;
            if (count == 0)
            {
                new Span<T>(a.Value + (rows + p) * d, d).CopyTo(new Span<T>(row, d));
                continue;
            }
            T divisor = T.CreateChecked(count);
            for (int c = 0; c < d; c++)
                row[c] /= divisor;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardCluster(in BalancedClusterArguments<T> a, Scratch s, int bh, int cluster,
        T* outputGradient, T* keyGradient, T* valueGradient)
    {
        int d = a.HeadDim, pd = s.PaddedHeadDim;
        T* upstream = outputGradient + (long)bh * a.Length * d;
        int members = s.Pack(a, bh, cluster);
        T* logSumExp = a.LogSumExp + ((long)bh * a.Clusters + cluster) * a.Window;
        for (int first = 0; first < members; first += s.QueryTile)
        {
            int queries = Math.Min(s.QueryTile, members - first);
            var tile = s.ScoreTile(first, queries);
            // The gradient reaching each member's cluster output: its token's, shared by the clusters it is in.
            for (int r = 0; r < queries; r++)
            {
                long p = s.Positions[first + r];
                T share = T.One / T.CreateChecked(s.Memberships.Counts[p]);
                T* gradient = s.OutputGradientRows + (long)r * pd;
                for (int c = 0; c < d; c++)
                    gradient[c] = upstream[p * d + c] * share;
            }
            for (int r = 0; r < queries; r++)
                s.RecomputeProbabilities(a, tile, r, logSumExp[first + r]);
            // dP = dO·Vᵀ, then dS = P ∘ (dP − D) · scale in place, with D = dO·O = Σ P ∘ dP.
            TileProduct.Multiply<T, TVec, TOps>(queries, tile.Columns, d, s.OutputGradientRows, pd, 1,
                s.ValuesTransposed, s.KeyStride, s.ScoreGradients, s.ScoreStride, accumulate: false);
            for (int r = 0; r < queries; r++)
                s.ScoreGradientRow(a, tile, r);
            // dV += Pᵀ·dO; the query-keys are both: dK += dSᵀ·Q and dQ += dS·K (the scale is in dS).
            TileProduct.Multiply<T, TVec, TOps>(tile.Keys, pd, queries, s.Scores, 1, s.ScoreStride,
                s.OutputGradientRows, pd, s.ValueGradients, pd, accumulate: true);
            TileProduct.Multiply<T, TVec, TOps>(tile.Keys, pd, queries, s.ScoreGradients, 1, s.ScoreStride,
                s.Rows + (long)first * pd, pd, s.KeyGradients, pd, accumulate: true);
            TileProduct.Multiply<T, TVec, TOps>(queries, pd, tile.Keys, s.ScoreGradients, s.ScoreStride, 1,
                s.Rows, pd, s.KeyGradients + (long)first * pd, pd, accumulate: true);
        }
        for (int i = 0; i < members; i++)
        {
            long p = s.Positions[i];
            VectorSteps<T, TVec, TOps>.Add(keyGradient + p * d, s.KeyGradients + (long)i * pd, d);
            VectorSteps<T, TVec, TOps>.Add(valueGradient + p * d, s.ValueGradients + (long)i * pd, d);
        }
    }

    // A token in no cluster output its value: its gradient passes to the value.
    private static void FinishBackward(in BalancedClusterArguments<T> a, int bh, MembershipCounts memberships,
        T* outputGradient, T* valueGradient)
    {
        int d = a.HeadDim;
        long rows = (long)bh * a.Length;
        for (int p = 0; p < a.Length; p++)
            if (memberships.Counts[p] == 0)
                new Span<T>(outputGradient + (rows + p) * d, d).CopyTo(new Span<T>(valueGradient + (rows + p) * d, d));
    }

    // How many clusters each token of one batch·head is a valid member of.
    private sealed class MembershipCounts(int length) : IDisposable
    {
        public int[] Counts { get; } = new int[length];

        public void Count(in BalancedClusterArguments<T> a, int bh)
        {
            Array.Clear(Counts);
            long slots = (long)a.Clusters * a.Window, first = bh * slots;
            for (long slot = first; slot < first + slots; slot++)
                if (a.MemberValid[slot] != 0)
                    Counts[a.Members[slot]]++;
        }

        public void Dispose()
        {
        }
    }

    // A tile of members First .. First + Queries (in position order) as queries, and the members they see: 0 .. Keys,
    // Columns of them rounded up to whole vectors.
    private readonly record struct QueryTileKeys(int First, int Keys, int Columns);

    // One worker's packed cluster and tiles, sized for a full window.
    private sealed class Scratch : IDisposable
    {
        private readonly bool _backward;
        private readonly int _headDim;
        private readonly NativeBuffer<T> _buffer;

        public Scratch(in BalancedClusterArguments<T> a, bool backward)
        {
            _backward = backward;
            _headDim = a.HeadDim;
            PaddedHeadDim = RoundUp(a.HeadDim);
            KeyStride = RoundUp(Math.Max(1, a.Window));
            ScoreStride = KeyStride;
            QueryTile = (int)Math.Clamp(TileBytes / ((long)ScoreStride * sizeof(T)), 4, MaxQueryTile) / 4 * 4;
            Positions = new long[a.Window];
            Limits = new int[a.Window];
            InverseSums = new T[QueryTile];
            Memberships = new MembershipCounts(a.Length);
            int pd = PaddedHeadDim;
            long transposed = (long)a.HeadDim * KeyStride, rowsSize = (long)KeyStride * pd;
            long scores = (long)QueryTile * ScoreStride, tileRows = (long)QueryTile * pd;
            _buffer = new NativeBuffer<T>(transposed + 2 * rowsSize + scores + tileRows
                + (backward ? transposed + 2 * rowsSize + scores + tileRows : 0));
            T* next = _buffer.Pointer;
            KeysTransposed = next; next += transposed;
            Rows = next; next += rowsSize;
            Values = next; next += rowsSize;
            Scores = next; next += scores;
            TileRows = next; next += tileRows;
            if (backward)
            {
                ValuesTransposed = next; next += transposed;
                KeyGradients = next; next += rowsSize;
                ValueGradients = next; next += rowsSize;
                ScoreGradients = next; next += scores;
                OutputGradientRows = next;
            }
        }

        public int PaddedHeadDim { get; }
        public int KeyStride { get; }
        public int ScoreStride { get; }
        public int QueryTile { get; }

        // The cluster's valid members' positions in order, how many members each one sees (itself and those before it in a
        // causal model, all of them otherwise), and how many clusters each token of the batch·head is a member of.
        public long[] Positions { get; }
        public int[] Limits { get; }

        // Forward: 1 / the sum of each tile row's exponentials.
        public T[] InverseSums { get; }
        public MembershipCounts Memberships { get; }

        // The cluster: keys transposed and scaled [headDim × KeyStride], the query-key rows and values [window × pd];
        // backward also the values transposed and the query-key and value gradients. Tiles: scores, then exponentials
        // (forward) or probabilities (backward) [QueryTile × ScoreStride] and, backward, their gradients; head-sized rows
        // (outputs, output gradients).
        public T* KeysTransposed { get; }
        public T* Rows { get; }
        public T* Values { get; }
        public T* Scores { get; }
        public T* TileRows { get; }
        public T* ValuesTransposed { get; }
        public T* KeyGradients { get; }
        public T* ValueGradients { get; }
        public T* ScoreGradients { get; }
        public T* OutputGradientRows { get; }

        private static int RoundUp(int n) => (n + TOps.Count - 1) / TOps.Count * TOps.Count;

        // Packs cluster `cluster`'s valid members in position order; returns how many there are. The rows and columns
        // from the last member to the next whole vector are zeroed, so the padded products add exact zeros.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public int Pack(in BalancedClusterArguments<T> a, int bh, int cluster)
        {
            long slots = ((long)bh * a.Clusters + cluster) * a.Window;
            int count = 0;
            for (int j = 0; j < a.Window; j++)
                if (a.MemberValid[slots + j] != 0)
                    Positions[count++] = a.Members[slots + j];
            Positions.AsSpan(0, count).Sort();
            // Members at one position see each other in a causal model: each sees up to the last member at its position.
            for (int i = count - 1; i >= 0; i--)
                Limits[i] = !a.Causal ? count : i + 1 < count && Positions[i + 1] == Positions[i] ? Limits[i + 1] : i + 1;

            int d = _headDim, pd = PaddedHeadDim, stride = KeyStride;
            long rows = (long)bh * a.Length;
            for (int i = 0; i < count; i++)
            {
                T* key = a.QueryKey + (rows + Positions[i]) * d, value = a.Value + (rows + Positions[i]) * d;
                VectorSteps<T, TVec, TOps>.WriteColumn(KeysTransposed, stride, i, key, d, a.Scale);
                new Span<T>(key, d).CopyTo(new Span<T>(Rows + (long)i * pd, d));
                new Span<T>(value, d).CopyTo(new Span<T>(Values + (long)i * pd, d));
                if (_backward)
                    VectorSteps<T, TVec, TOps>.WriteColumn(ValuesTransposed, stride, i, value, d, T.One);
            }
            int padded = RoundUp(count);
            for (int i = count; i < padded; i++)
            {
                for (int c = 0; c < d; c++)
                    KeysTransposed[(long)c * stride + i] = T.Zero;
                new Span<T>(Rows + (long)i * pd, pd).Clear();
                new Span<T>(Values + (long)i * pd, pd).Clear();
                if (_backward)
                    for (int c = 0; c < d; c++)
                        ValuesTransposed[(long)c * stride + i] = T.Zero;
            }
            if (_backward)
            {
                new Span<T>(KeyGradients, padded * pd).Clear();
                new Span<T>(ValueGradients, padded * pd).Clear();
            }
            return count;
        }

        // S = Q·(scale·K)ᵀ for members first .. first + queries against the members the last of them sees.
        public QueryTileKeys ScoreTile(int first, int queries)
        {
            int keys = Limits[first + queries - 1], columns = RoundUp(keys);
            TileProduct.Multiply<T, TVec, TOps>(queries, columns, _headDim, Rows + (long)first * PaddedHeadDim, PaddedHeadDim, 1,
                KeysTransposed, KeyStride, Scores, ScoreStride, accumulate: false);
            return new QueryTileKeys(first, keys, columns);
        }

        // Row r's scores to masked scores: −∞ past the keys the member sees (and in the vector padding), its self score.
        private T* Mask(in BalancedClusterArguments<T> a, QueryTileKeys tile, int r)
        {
            T* row = Scores + (long)r * ScoreStride;
            for (int c = Limits[tile.First + r]; c < tile.Columns; c++)
                row[c] = T.NegativeInfinity;
            row[tile.First + r] = a.SelfScore;
            return row;
        }

        // Row r of the score tile to exp(score − max) (zero past its keys), and 1 / their sum to InverseSums[r]; returns
        // the member's log-sum-exp.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public T Exponentials(in BalancedClusterArguments<T> a, QueryTileKeys tile, int r)
        {
            T* row = Mask(a, tile, r);
            var maxima = TOps.Broadcast(T.NegativeInfinity);
            for (int c = 0; c < tile.Columns; c += TOps.Count)
                maxima = TOps.Max(maxima, TOps.Load(row + c));
            T max = TOps.MaxAcross(maxima);
            var shift = TOps.Broadcast(max);
            var sums = TOps.Zero;
            for (int c = 0; c < tile.Columns; c += TOps.Count)
            {
                var e = TOps.Exp(TOps.Subtract(TOps.Load(row + c), shift));
                TOps.Store(e, row + c);
                sums = TOps.Add(sums, e);
            }
            T sum = TOps.Sum(sums);
            InverseSums[r] = T.One / sum;
            return max + T.Log(sum);
        }

        // Row r's probabilities from the saved log-sum-exp (zero past its keys).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void RecomputeProbabilities(in BalancedClusterArguments<T> a, QueryTileKeys tile, int r, T logSumExp)
        {
            T* row = Mask(a, tile, r);
            VectorSteps<T, TVec, TOps>.Exponentiate(row, tile.Columns, logSumExp);
        }

        // Row r of dP to dS = P ∘ (dP − D) · scale with D = Σ P ∘ dP; the constant self score passes no gradient.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void ScoreGradientRow(in BalancedClusterArguments<T> a, QueryTileKeys tile, int r)
        {
            T* probabilities = Scores + (long)r * ScoreStride, gradients = ScoreGradients + (long)r * ScoreStride;
            T correction = VectorSteps<T, TVec, TOps>.Dot(probabilities, gradients, tile.Columns);
            VectorSteps<T, TVec, TOps>.ScoreGradients(probabilities, gradients, tile.Columns, correction, a.Scale);
            gradients[tile.First + r] = T.Zero;
        }

        public void Dispose() => _buffer.Dispose();
    }
}
