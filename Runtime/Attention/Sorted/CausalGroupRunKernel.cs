using System.Numerics;
using System.Runtime.CompilerServices;
using XformerDsl.Kernels;

namespace XformerDsl.Attention.Sorted;

/// <summary>
/// The tiled kernel of <see cref="CausalGroupWindowKernel{T,TVec,TOps}"/> for one round of grouping (routing attention's
/// clusters, its local heads, one-round LSH). In (group, position) order every group is a contiguous run, and a query's
/// keys are the <c>Window</c> rows just before it in its run and itself: a causal sliding window over the run. So the
/// kernel packs each run's keys and values once, in run order, and computes a tile of consecutive queries against the
/// keys they share with <see cref="TileProduct"/> (each key row loaded once per tile, not once per query), instead of one
/// dot product per (query, key) read through the sort order. A run's rows are gathered inside the kernel; no sorted copy
/// of the inputs is made.
/// <para>
/// The forward pass stays a function of a query's own keys only, bit for bit, which causality relies on (the position of
/// a run in the sorted order depends on later tokens, but the rows and the arithmetic do not): every score is one dot
/// product accumulated over the head size in a fixed order; the maximum, exponentials and sum of a query's scores run
/// over its own window, in vectors counted from the window's first key; and the products with the values accumulate over
/// the keys in order, where the keys outside the window contribute exact zeros.
/// </para>
/// </summary>
internal static unsafe class CausalGroupRunKernel<T, TVec, TOps>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TVec : struct
    where TOps : ISimdOps<TVec, T>
{
    // Queries per tile: 64 of them against a window of 2,048 keys keep the score tile at half a megabyte (L2).
    private const int QueryTile = 64;

    public static void Forward(CausalGroupWindowArguments<T> a) =>
        KernelParallel.For(a.BatchHeads, a.Threads, () => new Scratch(a, backward: false),
            (bh, scratch) => ForEachRun(a, bh, (start, count) => ForwardRun(a, scratch, bh, start, count)));

    public static void Backward(CausalGroupWindowArguments<T> a, T* outputGradient, T* queryGradient, T* keyGradient, T* valueGradient) =>
        KernelParallel.For(a.BatchHeads, a.Threads, () => new Scratch(a, backward: true),
            (bh, scratch) => ForEachRun(a, bh, (start, count) =>
                BackwardRun(a, scratch, bh, start, count, outputGradient, queryGradient, keyGradient, valueGradient)));

    // Calls run(start, count) for each run of one group in batch·head bh's sorted order.
    private static void ForEachRun(in CausalGroupWindowArguments<T> a, int bh, Action<int, int> run)
    {
        long* order = a.Order + (long)bh * a.Length;
        long* groups = a.Groups + (long)bh * a.Length;
        int start = 0;
        while (start < a.Length)
        {
            long group = groups[order[start]];
            int end = start + 1;
            while (end < a.Length && groups[order[end]] == group)
                end++;
            run(start, end - start);
            start = end;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardRun(in CausalGroupWindowArguments<T> a, Scratch s, int bh, int start, int count)
    {
        int d = a.HeadDim, pd = s.PaddedHeadDim;
        long rows = (long)bh * a.Length;
        long* order = a.Order + rows + start;
        s.Pack(a, bh, order, count, backward: false);
        for (int first = 0; first < count; first += QueryTile)
        {
            var (tile, queries) = s.ScoreQueries(a, bh, order, first, count);
            for (int r = 0; r < queries; r++)
            {
                T logSumExp = s.Probabilities(a, tile, r);
                a.LogSumExp[rows + order[first + r]] = logSumExp;
            }
            // O = P·V over the tile's keys; each query's probabilities are zero outside its window.
            TileProduct.Multiply<T, TVec, TOps>(queries, pd, tile.Keys, s.Scores, s.ScoreStride, 1,
                s.Values + (long)tile.FirstKey * pd, pd, s.QueryRows2, pd, accumulate: false);
            for (int r = 0; r < queries; r++)
                new Span<T>(s.QueryRows2 + (long)r * pd, d).CopyTo(new Span<T>(a.Output + (rows + order[first + r]) * d, d));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardRun(in CausalGroupWindowArguments<T> a, Scratch s, int bh, int start, int count,
        T* outputGradient, T* queryGradient, T* keyGradient, T* valueGradient)
    {
        int d = a.HeadDim, pd = s.PaddedHeadDim;
        long rows = (long)bh * a.Length;
        long* order = a.Order + rows + start;
        s.Pack(a, bh, order, count, backward: true);
        for (int first = 0; first < count; first += QueryTile)
        {
            var (tile, queries) = s.ScoreQueries(a, bh, order, first, count);
            // The output gradients (rows padded to pd) and D = dO · O per query.
            for (int r = 0; r < queries; r++)
            {
                long p = rows + order[first + r];
                T* gradient = s.OutputGradientRows + (long)r * pd;
                new Span<T>(outputGradient + p * d, d).CopyTo(new Span<T>(gradient, d));
                s.Correction[r] = VectorSteps<T, TVec, TOps>.Dot(gradient, a.Output + p * d, d);
            }
            for (int r = 0; r < queries; r++)
                s.RecomputeProbabilities(a, tile, r, a.LogSumExp[rows + order[first + r]]);
            // dP = dO·Vᵀ, then dS = P ∘ (dP − D) · scale in place.
            TileProduct.Multiply<T, TVec, TOps>(queries, tile.Columns, d, s.OutputGradientRows, pd, 1,
                s.ValuesTransposed + tile.FirstKey, s.KeyStride, s.ScoreGradients, s.ScoreStride, accumulate: false);
            for (int r = 0; r < queries; r++)
                s.ScoreGradientRow(a, tile, r);
            long firstKey = tile.FirstKey;
            // dV += Pᵀ·dO, dK += dSᵀ·Q (the scale is in dS), dQ = dS·K.
            TileProduct.Multiply<T, TVec, TOps>(tile.Keys, pd, queries, s.Scores, 1, s.ScoreStride,
                s.OutputGradientRows, pd, s.ValueGradients + firstKey * pd, pd, accumulate: true);
            TileProduct.Multiply<T, TVec, TOps>(tile.Keys, pd, queries, s.ScoreGradients, 1, s.ScoreStride,
                s.QueryRows, pd, s.KeyGradients + firstKey * pd, pd, accumulate: true);
            TileProduct.Multiply<T, TVec, TOps>(queries, pd, tile.Keys, s.ScoreGradients, s.ScoreStride, 1,
                s.KeyRows + firstKey * pd, pd, s.QueryRows2, pd, accumulate: false);
            for (int r = 0; r < queries; r++)
                new Span<T>(s.QueryRows2 + (long)r * pd, d).CopyTo(new Span<T>(queryGradient + (rows + order[first + r]) * d, d));
        }
        // Each position is a key of exactly one run in one round: its gradients are written, not added.
        for (int i = 0; i < count; i++)
        {
            long p = rows + order[i];
            new Span<T>(s.KeyGradients + (long)i * pd, d).CopyTo(new Span<T>(keyGradient + p * d, d));
            new Span<T>(s.ValueGradients + (long)i * pd, d).CopyTo(new Span<T>(valueGradient + p * d, d));
        }
    }

    // A tile of queries (run indices First .. First + queries) and the keys they share: run indices FirstKey .. FirstKey + Keys.
    private readonly record struct QueryTileKeys(int First, int FirstKey, int Keys, int Columns);

    // One worker's packed run and tiles. Buffers grow to the longest run the worker meets.
    private sealed class Scratch : IDisposable
    {
        private readonly bool _backward;
        private readonly int _window, _headDim;
        private int _capacity = -1;
        private NativeBuffer<T>? _run;
        private readonly NativeBuffer<T> _tiles;

        public Scratch(in CausalGroupWindowArguments<T> a, bool backward)
        {
            _backward = backward;
            _window = a.Window;
            _headDim = a.HeadDim;
            PaddedHeadDim = RoundUp(a.HeadDim);
            // The widest tile: the window before the first query and the tile's own queries, plus a vector of padding so
            // a query's vectors, counted from its window's first key, never leave its row.
            ScoreStride = RoundUp(Math.Min(a.Length, a.Window + QueryTile)) + TOps.Count;
            long scores = (long)QueryTile * ScoreStride, rowsSize = (long)QueryTile * PaddedHeadDim;
            _tiles = new NativeBuffer<T>(2 * scores + 3 * rowsSize + QueryTile);
            Scores = _tiles.Pointer;
            ScoreGradients = Scores + scores;
            QueryRows = ScoreGradients + scores;
            QueryRows2 = QueryRows + rowsSize;
            OutputGradientRows = QueryRows2 + rowsSize;
            Correction = OutputGradientRows + rowsSize;
        }

        public int PaddedHeadDim { get; }
        public int ScoreStride { get; }
        public int KeyStride { get; private set; }

        // Tiles: [QueryTile × ScoreStride] scores then probabilities, their gradients; query rows, a second set of
        // head-sized rows (outputs, query gradients), output gradients, [QueryTile] D = dO·O.
        public T* Scores { get; }
        public T* ScoreGradients { get; }
        public T* QueryRows { get; }
        public T* QueryRows2 { get; }
        public T* OutputGradientRows { get; }
        public T* Correction { get; }

        // The run: keys transposed and scaled [headDim × KeyStride], values [run × pd], a bias per key (0 or −∞) and,
        // backward, values transposed, keys [run × pd] and the key and value gradients [run × pd].
        public T* KeysTransposed { get; private set; }
        public T* Values { get; private set; }
        public T* KeyBias { get; private set; }
        public T* ValuesTransposed { get; private set; }
        public T* KeyRows { get; private set; }
        public T* KeyGradients { get; private set; }
        public T* ValueGradients { get; private set; }

        private static int RoundUp(int n) => (n + TOps.Count - 1) / TOps.Count * TOps.Count;

        private void Reserve(int count)
        {
            if (count <= _capacity)
                return;
            _run?.Dispose();
            _capacity = Math.Max(count, _capacity * 2);
            int pd = PaddedHeadDim;
            KeyStride = RoundUp(_capacity) + TOps.Count;
            long transposed = (long)_headDim * KeyStride, rowsSize = (long)(_capacity + TOps.Count) * pd, bias = KeyStride;
            _run = new NativeBuffer<T>(transposed + rowsSize + bias + (_backward ? transposed + 3 * rowsSize : 0));
            T* next = _run.Pointer;
            KeysTransposed = next; next += transposed;
            Values = next; next += rowsSize;
            KeyBias = next; next += bias;
            if (_backward)
            {
                ValuesTransposed = next; next += transposed;
                KeyRows = next; next += rowsSize;
                KeyGradients = next; next += rowsSize;
                ValueGradients = next;
            }
        }

        // Gathers the run's rows in run order. Padding rows and columns stay zero (the buffers start zeroed and only
        // the first headDim columns of the first count rows are ever written), so products over them add exact zeros.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Pack(in CausalGroupWindowArguments<T> a, int bh, long* order, int count, bool backward)
        {
            Reserve(count);
            int d = _headDim, pd = PaddedHeadDim, stride = KeyStride;
            long rows = (long)bh * a.Length;
            byte* valid = a.Valid + (long)(bh / a.Heads) * a.Length;
            for (int i = 0; i < count; i++)
            {
                long p = order[i];
                T* key = a.Key + (rows + p) * d, value = a.Value + (rows + p) * d;
                VectorSteps<T, TVec, TOps>.WriteColumn(KeysTransposed, stride, i, key, d, a.Scale);
                new Span<T>(value, d).CopyTo(new Span<T>(Values + (long)i * pd, d));
                KeyBias[i] = valid[p] != 0 ? T.Zero : T.NegativeInfinity;
                if (!backward)
                    continue;
                VectorSteps<T, TVec, TOps>.WriteColumn(ValuesTransposed, stride, i, value, d, T.One);
                new Span<T>(key, d).CopyTo(new Span<T>(KeyRows + (long)i * pd, d));
            }
            if (backward)
            {
                new Span<T>(KeyGradients, count * pd).Clear();
                new Span<T>(ValueGradients, count * pd).Clear();
            }
        }

        // The tile of queries from run index first (of count), gathered into QueryRows, and its scores
        // S = Q·(scale·K)ᵀ against the keys the tile shares.
        public (QueryTileKeys Tile, int Queries) ScoreQueries(in CausalGroupWindowArguments<T> a, int bh, long* order, int first, int count)
        {
            int queries = Math.Min(QueryTile, count - first);
            int firstKey = Math.Max(0, first - a.Window), keys = first + queries - firstKey;
            var tile = new QueryTileKeys(first, firstKey, keys, RoundUp(keys));
            int d = _headDim, pd = PaddedHeadDim;
            long rows = (long)bh * a.Length;
            for (int r = 0; r < queries; r++)
                new Span<T>(a.Query + (rows + order[first + r]) * d, d).CopyTo(new Span<T>(QueryRows + (long)r * pd, d));
            TileProduct.Multiply<T, TVec, TOps>(queries, tile.Columns, d, QueryRows, pd, 1,
                KeysTransposed + tile.FirstKey, KeyStride, Scores, ScoreStride, accumulate: false);
            return (tile, queries);
        }

        // Row r's window in the tile's columns: [low, self], self being the query itself.
        private (int Low, int Self) Window(QueryTileKeys tile, int r)
        {
            int query = tile.First + r;
            return (Math.Max(0, query - _window) - tile.FirstKey, query - tile.FirstKey);
        }

        // Row r's scores to masked scores: padded keys −∞, the self score given when there is one, −∞ from just past
        // the query to the vector padding after it (the vectors counted from low read it), zero outside the window.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private (int Low, int Self, int Vectors) Mask(in CausalGroupWindowArguments<T> a, QueryTileKeys tile, int r, T* row)
        {
            var (low, self) = Window(tile, r);
            T* bias = KeyBias + tile.FirstKey;
            for (int c = low; c < self; c++)
                row[c] += bias[c];
            if (a.HasSelfScore)
                row[self] = a.SelfScore;
            int vectors = (self - low) / TOps.Count + 1;
            int end = low + vectors * TOps.Count;
            for (int c = self + 1; c < end; c++)
                row[c] = T.NegativeInfinity;
            new Span<T>(row, low).Clear();
            if (end < tile.Columns)
                new Span<T>(row + end, tile.Columns - end).Clear();
            return (low, self, vectors);
        }

        // Row r of the score tile to its probabilities (zero outside the window); returns the query's log-sum-exp.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public T Probabilities(in CausalGroupWindowArguments<T> a, QueryTileKeys tile, int r)
        {
            T* row = Scores + (long)r * ScoreStride;
            var (low, _, vectors) = Mask(a, tile, r, row);
            T* window = row + low;
            var maxima = TOps.Broadcast(T.NegativeInfinity);
            for (int v = 0; v < vectors; v++)
                maxima = TOps.Max(maxima, TOps.Load(window + v * TOps.Count));
            T max = TOps.MaxAcross(maxima);
            var shift = TOps.Broadcast(max);
            var sums = TOps.Zero;
            for (int v = 0; v < vectors; v++)
            {
                var e = TOps.Exp(TOps.Subtract(TOps.Load(window + v * TOps.Count), shift));
                TOps.Store(e, window + v * TOps.Count);
                sums = TOps.Add(sums, e);
            }
            T sum = TOps.Sum(sums);
            var inverse = TOps.Broadcast(T.One / sum);
            for (int v = 0; v < vectors; v++)
                TOps.Store(TOps.Multiply(TOps.Load(window + v * TOps.Count), inverse), window + v * TOps.Count);
            return max + T.Log(sum);
        }

        // Row r's probabilities from the saved log-sum-exp (zero outside the window).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void RecomputeProbabilities(in CausalGroupWindowArguments<T> a, QueryTileKeys tile, int r, T logSumExp)
        {
            T* row = Scores + (long)r * ScoreStride;
            var (low, _, vectors) = Mask(a, tile, r, row);
            VectorSteps<T, TVec, TOps>.Exponentiate(row + low, vectors * TOps.Count, logSumExp);
        }

        // Row r of dP to dS = P ∘ (dP − D) · scale, zero outside the window; a constant self score passes no gradient.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void ScoreGradientRow(in CausalGroupWindowArguments<T> a, QueryTileKeys tile, int r)
        {
            T* probabilities = Scores + (long)r * ScoreStride, gradients = ScoreGradients + (long)r * ScoreStride;
            int self = tile.First + r - tile.FirstKey;
            // Columns is a whole number of vectors.
            VectorSteps<T, TVec, TOps>.ScoreGradients(probabilities, gradients, tile.Columns, Correction[r], a.Scale);
            if (a.HasSelfScore)
                gradients[self] = T.Zero;
        }

        public void Dispose()
        {
            _run?.Dispose();
            _tiles.Dispose();
        }
    }
}
