using System.Numerics;
using System.Runtime.CompilerServices;

namespace XformerDsl.Kernels;

/// <summary>
/// One thread's share of a softmax attention kernel: its scratch (a tile of scores, a tile of their gradients, the
/// running output of a query tile, the packed transposed keys and values of a key tile, a few tens of kilobytes that stay
/// in L1/L2) and the steps over tiles, shared by every softmax family (full, local, sliding window, BigBird…). A family's
/// generated kernel decides which (query tile, key tile) pairs to visit and which need masks, and calls these steps for
/// each. Forward is FlashAttention-2's (Dao, 2023): an online softmax per query row, so no <c>[seq × seq]</c> matrix
/// exists, and the log-sum-exp is kept for the backward pass, which recomputes each probability tile from it. Scores are
/// <c>Q·(scale·K)ᵀ</c>: the scale is folded into the packed keys. Rows are addressed by (batch·head, row index) through
/// <see cref="HeadRows{T}"/>, so generated code needs no pointers.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
/// <typeparam name="TVec">The vector type of <typeparamref name="TOps"/>.</typeparam>
/// <typeparam name="TOps">The SIMD width (see <see cref="SimdWidth"/>).</typeparam>
public sealed unsafe partial class SoftmaxTileWorker<T, TVec, TOps> : IDisposable
    where T : unmanaged, IFloatingPointIeee754<T>
    where TVec : struct
    where TOps : ISimdOps<TVec, T>
{
    private readonly NativeBuffer<T> _memory;

    /// <summary>Carves the scratch for tiles of <paramref name="queryTile"/> × <paramref name="keyTile"/>.</summary>
    /// <param name="queryTile">Queries per tile.</param>
    /// <param name="keyTile">Keys per tile; a multiple of 16 so score rows are whole vectors at every width.</param>
    /// <param name="headDim">The head size.</param>
    /// <param name="paddedHeadDim">The head size rounded up to a multiple of 16.</param>
    /// <param name="bandWidth">
    /// 0, or for a kernel with relative positions the columns of its band of position scores per query (see
    /// <see cref="RelativeBandWidth"/>).
    /// </param>
    public SoftmaxTileWorker(int queryTile, int keyTile, int headDim, int paddedHeadDim, int bandWidth = 0)
    {
        if (keyTile % 16 != 0 || paddedHeadDim % 16 != 0 || paddedHeadDim < headDim)
            throw new ArgumentException($"keyTile ({keyTile}) and paddedHeadDim ({paddedHeadDim}) must be multiples of 16, and paddedHeadDim at least headDim ({headDim}).");
        QueryTile = queryTile;
        KeyTile = keyTile;
        HeadDim = headDim;
        PaddedHeadDim = paddedHeadDim;
        long tile = (long)queryTile * keyTile;
        long[] sizes =
        [
            tile, tile,                                              // Scores, ScoreGradients
            (long)queryTile * paddedHeadDim,                         // Output
            Round(queryTile), (long)queryTile * TOps.Count, keyTile, // RowMax, RowSumLanes, KeyBias
            (long)headDim * keyTile, (long)headDim * keyTile,        // KeysTransposed, ValuesTransposed
            (long)keyTile * paddedHeadDim, (long)keyTile * paddedHeadDim, // KeyGradients, ValueGradients
            (long)queryTile * bandWidth,                             // Band (relative positions only)
        ];
        _memory = new NativeBuffer<T>(sizes.Sum());
        T* next = _memory.Pointer;
        T* Take(long size) { T* start = next; next += size; return start; }
        Scores = Take(sizes[0]);
        ScoreGradients = Take(sizes[1]);
        Output = Take(sizes[2]);
        RowMax = Take(sizes[3]);
        RowSumLanes = Take(sizes[4]);
        KeyBias = Take(sizes[5]);
        KeysTransposed = Take(sizes[6]);
        ValuesTransposed = Take(sizes[7]);
        KeyGradients = Take(sizes[8]);
        ValueGradients = Take(sizes[9]);
        BandWidth = bandWidth;
        Band = bandWidth == 0 ? null : Take(sizes[10]);
    }

    /// <summary>Queries per tile.</summary>
    public int QueryTile { get; }

    /// <summary>Keys per tile.</summary>
    public int KeyTile { get; }

    /// <summary>The head size.</summary>
    public int HeadDim { get; }

    /// <summary>The head size rounded up to a multiple of 16: the row width of every head-sized tile.</summary>
    public int PaddedHeadDim { get; }

    /// <summary><c>[QueryTile × KeyTile]</c>: scores, then (in place) probabilities.</summary>
    internal T* Scores { get; }

    /// <summary><c>[QueryTile × KeyTile]</c>: gradients of the probabilities, then (in place) of the scores.</summary>
    internal T* ScoreGradients { get; }

    /// <summary><c>[QueryTile × PaddedHeadDim]</c>: the unnormalised output of the current query tile.</summary>
    internal T* Output { get; }

    /// <summary><c>[QueryTile]</c>: each query's running maximum score (the reference its exponentials are taken against).</summary>
    internal T* RowMax { get; }

    /// <summary>
    /// <c>[QueryTile × lanes]</c>: each query's running sum of exp(score − reference), as one vector of partial sums per
    /// query, added across lanes only when the query tile ends: the per-tile step then needs no reduction across lanes.
    /// </summary>
    internal T* RowSumLanes { get; }

    /// <summary><c>[KeyTile]</c>: 0 for a visible key, −∞ for a padded or out-of-range one.</summary>
    internal T* KeyBias { get; }

    /// <summary><c>[HeadDim × KeyTile]</c>: the current key tile, transposed and scaled.</summary>
    internal T* KeysTransposed { get; }

    /// <summary><c>[HeadDim × KeyTile]</c>: the current value tile, transposed.</summary>
    internal T* ValuesTransposed { get; }

    /// <summary><c>[KeyTile × PaddedHeadDim]</c>: the key gradients of the current key tile.</summary>
    internal T* KeyGradients { get; }

    /// <summary><c>[KeyTile × PaddedHeadDim]</c>: the value gradients of the current key tile.</summary>
    internal T* ValueGradients { get; }

    /// <summary>Frees the scratch.</summary>
    public void Dispose() => _memory.Dispose();

    private static long Round(long n) => (n + 15) / 16 * 16;

    // How far a tile's maximum score may exceed a row's reference before the online softmax moves the reference (see
    // Accumulate): e⁸ ≈ 3,000, so sums over a million keys stay far from float's range.
    private static readonly T RescaleSlack = T.CreateChecked(8);

    // The steps carry MethodImplOptions.AggressiveOptimization: their loops are the kernel, and without it the first
    // dozens of calls (a training run's first steps) would run unoptimised tier-0 code, several times slower.

    // ---- Packing -------------------------------------------------------------------------------------------------

    /// <summary>
    /// Every key tile of every (batch, head), transposed to <c>[headDim × keyTile]</c> and multiplied by the scale: the
    /// form the score product reads as whole vectors. Keys past the end are zero (and hidden by <see cref="MaskKeys"/>).
    /// </summary>
    public static PackedKeyTiles<T> PackKeyTiles(in AttentionForwardArguments<T> args, int keyTile, int headDim)
    {
        int tiles = (args.Keys + keyTile - 1) / keyTile;
        var packed = new PackedKeyTiles<T>(args.BatchHeads, tiles, headDim, keyTile);
        var key = args.Key;
        int heads = args.Heads, keys = args.Keys;
        T scale = args.Scale;
        KernelParallel.For(args.BatchHeads * tiles, args.Threads, () => NoScratch.Instance, (task, _) =>
        {
            int bh = task / tiles, tile = task % tiles;
            int start = tile * keyTile;
            TransposeInto(packed.Panel(bh, tile), keyTile, key.Row(bh, heads, start), key.RowStride, Math.Min(keyTile, keys - start), headDim, scale);
        });
        return packed;
    }

    /// <summary>
    /// A head-sized operand with each row padded with zeros to <paramref name="paddedHeadDim"/> columns, so products
    /// whose output is head-sized run on whole vectors. Without padding to do, the operand itself, uncopied.
    /// </summary>
    public static PaddedHeadRows<T> PadRows(HeadRows<T> source, int batchHeads, int heads, int rows, int headDim, int paddedHeadDim, int threads)
    {
        if (headDim == paddedHeadDim)
            return new PaddedHeadRows<T>(source, null);
        var buffer = new NativeBuffer<T>((long)batchHeads * rows * paddedHeadDim);
        var padded = HeadRows<T>.Dense(buffer.Pointer, heads, rows, paddedHeadDim);
        KernelParallel.For(batchHeads, threads, () => NoScratch.Instance, (bh, _) =>
        {
            for (int row = 0; row < rows; row++)
                new ReadOnlySpan<T>(source.Row(bh, heads, row), headDim).CopyTo(new Span<T>(padded.Row(bh, heads, row), headDim));
        });
        return new PaddedHeadRows<T>(padded, buffer);
    }

    // ---- Forward -------------------------------------------------------------------------------------------------

    /// <summary>Starts a query tile: running maxima −∞, sums 0, output 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void BeginQueryTile(int rows)
    {
        new Span<T>(RowMax, rows).Fill(T.NegativeInfinity);
        new Span<T>(RowSumLanes, rows * TOps.Count).Clear();
        new Span<T>(Output, rows * PaddedHeadDim).Clear();
    }

    /// <summary>The score tile <c>S[rows × keyTile] = Q[rows × headDim] · Kₜᵀ</c> against packed key tile <paramref name="keyTileIndex"/>.</summary>
    public void Score(HeadRows<T> query, int heads, int batchHead, int queryStart, int rows,
        PackedKeyTiles<T> keys, int keyTileIndex) =>
        ScoreAgainst(query.Row(batchHead, heads, queryStart), query.RowStride, rows, keys.Panel(batchHead, keyTileIndex));

    /// <summary>
    /// Adds the score bias to the score tile, <c>S[r, c] += B[queryStart + r, keyStart + c]</c> for the tile's
    /// <paramref name="keyCount"/> keys, before masking (masking then hides what it hides, bias or not). Reads the bias
    /// rows in place through their strides. Nothing to do without a bias.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddScoreBias(int rows, in AttentionForwardArguments<T> args, int batchHead, int queryStart, int keyStart, int keyCount)
    {
        var bias = args.ScoreBias;
        if (bias.Data == null)
            return;
        int keyTile = KeyTile;
        for (int r = 0; r < rows; r++)
            VectorSteps<T, TVec, TOps>.Add(Scores + (long)r * keyTile, bias.Row(batchHead, args.Heads, queryStart + r) + keyStart, keyCount);
    }

    /// <summary>
    /// A bias-only kernel's score tile: the bias itself, <c>S[r, c] = B[queryStart + r, keyStart + c]</c>, with no
    /// <c>Q·Kᵀ</c> term; zero past <paramref name="keyCount"/> (where <see cref="MaskKeys"/> hides the columns) and
    /// everywhere without a bias (uniform attention over the visible keys).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void LoadScoreBias(int rows, in AttentionForwardArguments<T> args, int batchHead, int queryStart, int keyStart, int keyCount)
    {
        var bias = args.ScoreBias;
        int keyTile = KeyTile;
        for (int r = 0; r < rows; r++)
        {
            var row = new Span<T>(Scores + (long)r * keyTile, keyTile);
            if (bias.Data == null)
            {
                row.Clear();
                continue;
            }
            new ReadOnlySpan<T>(bias.Row(batchHead, args.Heads, queryStart + r) + keyStart, keyCount).CopyTo(row);
            row.Slice(keyCount).Clear();
        }
    }

    /// <summary>
    /// Causal mask on a tile that crosses the diagonal: query <c>queryStart + r</c> does not see a later key
    /// <c>keyStart + c</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void MaskFuture(int rows, int queryStart, int keyStart)
    {
        int keyTile = KeyTile;
        for (int r = 0; r < rows; r++)
        {
            int firstHidden = Math.Max(0, queryStart + r - keyStart + 1);
            if (firstHidden < keyTile)
                new Span<T>(Scores + (long)r * keyTile + firstHidden, keyTile - firstHidden).Fill(T.NegativeInfinity);
        }
    }

    /// <summary>
    /// The lower edge of a window: query row r does not see keys before <c>firstVisible + r</c>, the key
    /// <paramref name="firstVisible"/> being the first that row 0 sees.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void MaskBefore(int rows, int firstVisible, int keyStart)
    {
        int keyTile = KeyTile;
        for (int r = 0; r < rows; r++)
        {
            int hidden = Math.Clamp(firstVisible + r - keyStart, 0, keyTile);
            new Span<T>(Scores + (long)r * keyTile, hidden).Fill(T.NegativeInfinity);
        }
    }

    /// <summary>
    /// The element mask of a tile the block layout covers only partially: hides key <c>keyStart + c</c> from query
    /// <c>queryStart + r</c> wherever <typeparamref name="TPattern"/> says the query does not see it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void MaskPattern<TPattern>(int rows, int queryStart, int keyStart) where TPattern : struct, IAttentionPattern
    {
        int keyTile = KeyTile;
        for (int r = 0; r < rows; r++)
        {
            T* row = Scores + (long)r * keyTile;
            int query = queryStart + r;
            for (int c = 0; c < keyTile; c++)
                if (!TPattern.Sees(query, keyStart + c))
                    row[c] = T.NegativeInfinity;
        }
    }

    /// <summary>
    /// Hides the tile's padded keys (mask false) and, in a partial last tile, the columns past the last key. Costs
    /// nothing more than a scan of the mask for a full tile without padding.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void MaskKeys(int rows, in AttentionForwardArguments<T> args, int batchHead, int keyStart, int keyCount)
    {
        byte* keyMask = args.KeyMaskOf(batchHead);
        int keyTile = KeyTile;
        bool any = false;
        T* bias = KeyBias;
        for (int c = 0; c < keyTile; c++)
        {
            bool hidden = c >= keyCount || (keyMask != null && keyMask[keyStart + c] == 0);
            bias[c] = hidden ? T.NegativeInfinity : T.Zero;
            any |= hidden;
        }
        if (!any)
            return;
        int w = TOps.Count;
        for (int r = 0; r < rows; r++)
        {
            T* row = Scores + (long)r * keyTile;
            for (int c = 0; c < keyTile; c += w)
                TOps.Store(TOps.Add(TOps.Load(row + c), TOps.Load(bias + c)), row + c);
        }
    }

    /// <summary>
    /// The online-softmax step for one key tile: per query, raises the running maximum, turns the scores into
    /// exp(score − max) in place, rescales the running sum and output by exp(old max − new max), then adds
    /// <c>P[rows × keyCount] · V[keyCount × headDim]</c> to the running output.
    /// </summary>
    /// <param name="rows">Queries in the tile.</param>
    /// <param name="values">The values, padded to <see cref="PaddedHeadDim"/> columns (see <see cref="PadRows"/>).</param>
    /// <param name="heads">Heads per batch element.</param>
    /// <param name="batchHead">Batch · heads + head.</param>
    /// <param name="keyStart">The tile's first key.</param>
    /// <param name="keyCount">Keys in the tile.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Accumulate(int rows, HeadRows<T> values, int heads, int batchHead, int keyStart, int keyCount)
    {
        int keyTile = KeyTile, width = PaddedHeadDim, w = TOps.Count;
        for (int r = 0; r < rows; r++)
        {
            T* row = Scores + (long)r * keyTile;
            T* sumLanes = RowSumLanes + (long)r * w;
            TVec max = TOps.Load(row);
            for (int c = w; c < keyTile; c += w)
                max = TOps.Max(max, TOps.Load(row + c));
            T previous = RowMax[r];
            // The reference the exponentials are taken against moves only when some score of this tile passes it by more
            // than RescaleSlack: below that, exp(score − reference) ≤ e^RescaleSlack cannot overflow, and the row skips the
            // rescale of its sum and output (a scalar exp and a pass over the row), which most tiles after the first
            // few would otherwise pay for a slightly larger maximum. The test is lane-wise, so the common case reduces
            // nothing across lanes. The result is the same softmax either way.
            T next = previous;
            if (T.IsNegativeInfinity(previous) || TOps.AnyGreaterThan(max, TOps.Broadcast(previous + RescaleSlack)))
            {
                next = T.Max(previous, TOps.MaxAcross(max));
                if (T.IsNegativeInfinity(next))
                {
                    // Nothing visible to this query yet: its probabilities in this tile are zero.
                    new Span<T>(row, keyTile).Clear();
                    continue;
                }
            }
            TVec shift = TOps.Broadcast(next);
            TVec sum = TOps.Zero;
            for (int c = 0; c < keyTile; c += w)
            {
                TVec p = TOps.Exp(TOps.Subtract(TOps.Load(row + c), shift));
                TOps.Store(p, row + c);
                sum = TOps.Add(sum, p);
            }
            if (next == previous)
            {
                TOps.Store(TOps.Add(TOps.Load(sumLanes), sum), sumLanes);
                continue;
            }
            T correction = T.Exp(previous - next);   // 0 when previous is −∞, and the output row is still zero then
            TOps.Store(TOps.MultiplyAdd(TOps.Load(sumLanes), TOps.Broadcast(correction), sum), sumLanes);
            RowMax[r] = next;
            Scale(Output + (long)r * width, Output + (long)r * width, width, correction);
        }
        TileProduct.Multiply<T, TVec, TOps>(rows, width, keyCount,
            Scores, keyTile, 1, values.Row(batchHead, heads, keyStart), (nint)values.RowStride, Output, width, accumulate: true);
    }

    /// <summary>
    /// Ends a query tile: divides each output row by its sum and writes it, and writes the log-sum-exp. A query that
    /// saw no key gets a zero output and a log-sum-exp of +∞, so the backward pass gives it zero probabilities, not NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void EndQueryTile(int rows, in AttentionForwardArguments<T> args, int batchHead, int queryStart)
    {
        int width = PaddedHeadDim, headDim = HeadDim;
        T* outputRows = args.Output.Row(batchHead, args.Heads, queryStart);
        long outputStride = args.Output.RowStride;
        T* logSumExp = args.LogSumExp + (long)batchHead * args.Queries + queryStart;
        for (int r = 0; r < rows; r++)
        {
            T sum = TOps.Sum(TOps.Load(RowSumLanes + (long)r * TOps.Count));
            T* destination = outputRows + r * outputStride;
            if (sum == T.Zero)
            {
                new Span<T>(destination, headDim).Clear();
                logSumExp[r] = T.PositiveInfinity;
                continue;
            }
            Scale(Output + (long)r * width, destination, headDim, T.One / sum);
            logSumExp[r] = RowMax[r] + T.Log(sum);
        }
    }

    // ---- Backward ------------------------------------------------------------------------------------------------

    /// <summary>
    /// <c>D = rowsum(dO ⊙ O)</c> for every query of every (batch, head): the term of the softmax Jacobian that couples
    /// the probabilities of a row.
    /// </summary>
    public static QueryScalars<T> OutputDotGradient(in AttentionBackwardArguments<T> args, int headDim)
    {
        var forward = args.Forward;
        var delta = new QueryScalars<T>(forward.BatchHeads, forward.Queries);
        var output = forward.Output;
        var gradient = args.OutputGradient;
        int heads = forward.Heads, queries = forward.Queries;
        KernelParallel.For(forward.BatchHeads, forward.Threads, () => NoScratch.Instance, (bh, _) =>
        {
            T* destination = delta.Of(bh, 0);
            for (int q = 0; q < queries; q++)
                destination[q] = VectorSteps<T, TVec, TOps>.Dot(output.Row(bh, heads, q), gradient.Row(bh, heads, q), headDim);
        });
        return delta;
    }

    /// <summary>
    /// Starts a key tile of the backward pass: packs its keys (transposed, scaled) and values (transposed) into the
    /// worker and zeroes its key and value gradients.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void BeginKeyTile(in AttentionForwardArguments<T> args, int batchHead, int keyStart, int keyCount)
    {
        TransposeInto(KeysTransposed, KeyTile, args.Key.Row(batchHead, args.Heads, keyStart), args.Key.RowStride, keyCount, HeadDim, args.Scale);
        new Span<T>(KeyGradients, KeyTile * PaddedHeadDim).Clear();
        BeginValueTile(args, batchHead, keyStart, keyCount);
    }

    /// <summary>
    /// Starts a key tile of a bias-only kernel's backward pass, which has no keys: packs the tile's values (transposed)
    /// and zeroes its value gradients.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void BeginValueTile(in AttentionForwardArguments<T> args, int batchHead, int keyStart, int keyCount)
    {
        TransposeInto(ValuesTransposed, KeyTile, args.Value.Row(batchHead, args.Heads, keyStart), args.Value.RowStride, keyCount, HeadDim, T.One);
        new Span<T>(ValueGradients, KeyTile * PaddedHeadDim).Clear();
    }

    /// <summary>The score tile against the key tile that <see cref="BeginKeyTile"/> packed.</summary>
    public void ScoreCurrentKeyTile(HeadRows<T> query, int heads, int batchHead, int queryStart, int rows) =>
        ScoreAgainst(query.Row(batchHead, heads, queryStart), query.RowStride, rows, KeysTransposed);

    /// <summary>Turns masked scores back into the forward pass's probabilities, <c>P = exp(S − logSumExp)</c>, in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Probabilities(int rows, in AttentionForwardArguments<T> args, int batchHead, int queryStart)
    {
        int keyTile = KeyTile;
        T* logSumExp = args.LogSumExp + (long)batchHead * args.Queries + queryStart;
        for (int r = 0; r < rows; r++)
            VectorSteps<T, TVec, TOps>.Exponentiate(Scores + (long)r * keyTile, keyTile, logSumExp[r]);
    }

    /// <summary>
    /// The gradients of one (query tile, key tile) pair from its probabilities P: <c>dV += Pᵀ·dO</c>,
    /// <c>dP = dO·Vᵀ</c>, <c>dS = P ⊙ (dP − D)</c>, <c>dK += dSᵀ·Q</c> (scaled in <see cref="EndKeyTile"/>) and
    /// <c>dQ += dS·K</c> into the group's partial query gradients (scaled in <see cref="ReduceQueryGradients"/>):
    /// <see cref="ValueAndScoreGradients"/> then <see cref="PropagateScoreGradients"/>. A family whose schedule sets some
    /// scores to constants (which carry no gradient to Q and K) zeroes their dS between the two.
    /// </summary>
    /// <param name="rows">Queries in the tile.</param>
    /// <param name="keyCount">Keys in the tile.</param>
    /// <param name="queries">The queries, padded (see <see cref="PadRows"/>).</param>
    /// <param name="outputGradients">The output gradients, padded.</param>
    /// <param name="keys">The keys, padded and unscaled.</param>
    /// <param name="delta">D of every query (see <see cref="OutputDotGradient"/>).</param>
    /// <param name="queryGradients">The partial query gradients.</param>
    /// <param name="group">Which partial this task accumulates into.</param>
    /// <param name="heads">Heads per batch element.</param>
    /// <param name="batchHead">Batch · heads + head.</param>
    /// <param name="queryStart">The query tile's first query.</param>
    /// <param name="keyStart">The key tile's first key.</param>
    public void Gradients(int rows, int keyCount,
        HeadRows<T> queries, HeadRows<T> outputGradients, HeadRows<T> keys, QueryScalars<T> delta,
        QueryGradientPartials<T> queryGradients, int group, int heads, int batchHead, int queryStart, int keyStart)
    {
        ValueAndScoreGradients(rows, keyCount, outputGradients, delta, heads, batchHead, queryStart);
        PropagateScoreGradients(rows, keyCount, queries, keys, queryGradients, group, heads, batchHead, queryStart, keyStart);
    }

    /// <summary>The first half of <see cref="Gradients"/>: <c>dV += Pᵀ·dO</c>, then the score gradients <c>dS = P ⊙ (dO·Vᵀ − D)</c> in the worker.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ValueAndScoreGradients(int rows, int keyCount, HeadRows<T> outputGradients, QueryScalars<T> delta,
        int heads, int batchHead, int queryStart)
    {
        int keyTile = KeyTile, width = PaddedHeadDim, w = TOps.Count;
        T* p = Scores;
        T* dS = ScoreGradients;
        T* dO = outputGradients.Row(batchHead, heads, queryStart);
        T* d = delta.Of(batchHead, queryStart);

        // dV[keyCount × width] += Pᵀ · dO, reading P transposed: A(key, query) = P[query, key].
        TileProduct.Multiply<T, TVec, TOps>(keyCount, width, rows,
            p, 1, keyTile, dO, (nint)outputGradients.RowStride, ValueGradients, width, accumulate: true);
        // dP[rows × keyTile] = dO · Vᵀ.
        TileProduct.Multiply<T, TVec, TOps>(rows, keyTile, HeadDim,
            dO, (nint)outputGradients.RowStride, 1, ValuesTransposed, keyTile, dS, keyTile, accumulate: false);
        // dS = P ⊙ (dP − D), in place of dP.
        for (int r = 0; r < rows; r++)
        {
            T* pRow = p + (long)r * keyTile;
            T* dRow = dS + (long)r * keyTile;
            TVec correction = TOps.Broadcast(d[r]);
            for (int c = 0; c < keyTile; c += w)
                TOps.Store(TOps.Multiply(TOps.Load(pRow + c), TOps.Subtract(TOps.Load(dRow + c), correction)), dRow + c);
        }
    }

    /// <summary>The second half of <see cref="Gradients"/>: <c>dK += dSᵀ·Q</c> and <c>dQ += dS·K</c> from the worker's score gradients.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void PropagateScoreGradients(int rows, int keyCount, HeadRows<T> queries, HeadRows<T> keys,
        QueryGradientPartials<T> queryGradients, int group, int heads, int batchHead, int queryStart, int keyStart)
    {
        int keyTile = KeyTile, width = PaddedHeadDim;
        T* dS = ScoreGradients;
        T* q = queries.Row(batchHead, heads, queryStart);
        // dK[keyCount × width] += dSᵀ · Q.
        TileProduct.Multiply<T, TVec, TOps>(keyCount, width, rows,
            dS, 1, keyTile, q, (nint)queries.RowStride, KeyGradients, width, accumulate: true);
        // dQ[rows × width] += dS · K.
        TileProduct.Multiply<T, TVec, TOps>(rows, width, keyCount,
            dS, keyTile, 1, keys.Row(batchHead, heads, keyStart), (nint)keys.RowStride,
            queryGradients.Row(group, batchHead, queryStart), width, accumulate: true);
    }

    /// <summary>Ends a key tile: writes its key gradients times the scale, and its value gradients.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void EndKeyTile(int keyCount, in AttentionBackwardArguments<T> args, int batchHead, int keyStart)
    {
        int width = PaddedHeadDim;
        T* keyGradient = args.KeyGradient.Row(batchHead, args.Forward.Heads, keyStart);
        for (int k = 0; k < keyCount; k++)
            Scale(KeyGradients + (long)k * width, keyGradient + k * args.KeyGradient.RowStride, HeadDim, args.Forward.Scale);
        EndValueTile(keyCount, args, batchHead, keyStart);
    }

    /// <summary>Ends a key tile of a bias-only kernel's backward pass: writes its value gradients.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void EndValueTile(int keyCount, in AttentionBackwardArguments<T> args, int batchHead, int keyStart)
    {
        int width = PaddedHeadDim, headDim = HeadDim;
        T* valueGradient = args.ValueGradient.Row(batchHead, args.Forward.Heads, keyStart);
        for (int k = 0; k < keyCount; k++)
            new ReadOnlySpan<T>(ValueGradients + (long)k * width, headDim)
                .CopyTo(new Span<T>(valueGradient + k * args.ValueGradient.RowStride, headDim));
    }

    /// <summary>
    /// Writes the tile's score gradients (left in the worker by <see cref="ValueAndScoreGradients"/>) as the score
    /// bias's gradient: the bias is added to the scores, so its gradient is <c>dS = P ⊙ (dP − D)</c> itself, zero where
    /// a mask hid the score. Written, not added: each (query, key) element belongs to one tile, visited by one task.
    /// Nothing to do without a bias gradient.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void WriteScoreBiasGradient(int rows, int keyCount, in AttentionBackwardArguments<T> args, int batchHead, int queryStart, int keyStart)
    {
        var destination = args.ScoreBiasGradient;
        if (destination.Data == null)
            return;
        int keyTile = KeyTile;
        for (int r = 0; r < rows; r++)
            new ReadOnlySpan<T>(ScoreGradients + (long)r * keyTile, keyCount)
                .CopyTo(new Span<T>(destination.Row(batchHead, args.Forward.Heads, queryStart + r) + keyStart, keyCount));
    }

    /// <summary>
    /// Zeroes the score bias's gradient at queries <c>[firstQuery, endQuery)</c> of the keys <c>[keyStart, keyStart +
    /// keyCount)</c>: the rows a key tile's query-tile range skips, where the mask hides every score. With these cleared
    /// and every visited tile written (<see cref="WriteScoreBiasGradient"/>), the kernel writes the whole gradient, so
    /// its buffer needs no zero-filling beforehand. Nothing to do without a bias gradient or rows to clear.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ClearScoreBiasGradient(in AttentionBackwardArguments<T> args, int batchHead, int firstQuery, int endQuery,
        int keyStart, int keyCount)
    {
        var destination = args.ScoreBiasGradient;
        if (destination.Data == null)
            return;
        for (int q = firstQuery; q < endQuery; q++)
            new Span<T>(destination.Row(batchHead, args.Forward.Heads, q) + keyStart, keyCount).Clear();
    }

    /// <summary>Sums the partial query gradients of every group, multiplies by the scale and writes the query gradient.</summary>
    public static void ReduceQueryGradients(QueryGradientPartials<T> partials, in AttentionBackwardArguments<T> args, int headDim) =>
        ReducePartials(partials, args.QueryGradient, args.Forward.Heads, args.Forward.BatchHeads, args.Forward.Queries, headDim,
            args.Forward.Scale, args.Forward.Threads);

    // Sums each (batch, head)'s rows over the groups, multiplies by the scale and writes them to the destination.
    private static void ReducePartials(QueryGradientPartials<T> partials, HeadRows<T> destination, int heads, int batchHeads, int rows,
        int headDim, T scale, int threads)
    {
        int groups = partials.Groups, width = partials.Width;
        KernelParallel.For(batchHeads, threads, () => NoScratch.Instance, (bh, _) =>
        {
            for (int q = 0; q < rows; q++)
            {
                T* first = partials.Row(0, bh, q);
                for (int g = 1; g < groups; g++)
                    VectorSteps<T, TVec, TOps>.Add(first, partials.Row(g, bh, q), width);
                Scale(first, destination.Row(bh, heads, q), headDim, scale);
            }
        });
    }

    // ---- Helpers -------------------------------------------------------------------------------------------------

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ScoreAgainst(T* queryRows, long queryStride, int rows, T* keyPanel)
    {
        int keyTile = KeyTile;
        TileProduct.Multiply<T, TVec, TOps>(rows, keyTile, HeadDim,
            queryRows, (nint)queryStride, 1, keyPanel, keyTile, Scores, keyTile, accumulate: false);
    }

    // Writes the transpose of rows[count × headDim], times scale, into panel[headDim × width]; columns past count are zero.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeInto(T* panel, int width, T* rows, long rowStride, int count, int headDim, T scale)
    {
        TileTranspose.Transpose(rows, rowStride, count, headDim, panel, width, scale);
        if (count < width)
            for (int d = 0; d < headDim; d++)
                new Span<T>(panel + (long)d * width + count, width - count).Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scale(T* source, T* destination, int length, T factor)
    {
        int w = TOps.Count, i = 0;
        TVec f = TOps.Broadcast(factor);
        for (; i + w <= length; i += w)
            TOps.Store(TOps.Multiply(TOps.Load(source + i), f), destination + i);
        for (; i < length; i++)
            destination[i] = source[i] * factor;
    }
}
