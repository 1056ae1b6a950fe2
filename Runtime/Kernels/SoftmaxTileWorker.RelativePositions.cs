using System.Numerics;
using System.Runtime.CompilerServices;

namespace XformerDsl.Kernels;

// Transformer-XL's relative-position term on the softmax tile (Dai et al., 2019, §3.3): a score adds
// scale·(q_i + v)·P[t] with t = Queries − 1 − i + j, the row of the distance between query i and key j. In a tile,
// row r meets its keys c in rows t = T + (rows − 1 − r) + c, where T = Queries − queryStart − rows + keyStart: every
// query reads a window of KeyTile consecutive rows, shifted by one per query. The "band" of the tile holds the terms
// at band column x = rows − 1 − r + c, so each score reads its own distance's row and no [queries, keys] tensor exists.
// Four query rows at a time span KeyTile + 3 band columns, so the band costs about one score product, not two.
public sealed unsafe partial class SoftmaxTileWorker<T, TVec, TOps>
{
    /// <summary>The band columns a worker needs for tiles of <paramref name="queryTile"/> × <paramref name="keyTile"/>.</summary>
    public static int RelativeBandWidth(int queryTile, int keyTile) => (queryTile + keyTile + 16 + 15) / 16 * 16;

    /// <summary>The band of position terms, <c>[QueryTile × BandWidth]</c> (see <see cref="RelativeBandWidth"/>); null without relative positions.</summary>
    internal T* Band { get; }

    /// <summary>Columns per band row; 0 without relative positions.</summary>
    public int BandWidth { get; }

    /// <summary>
    /// The position rows of the forward pass, transposed and scaled per head (see <see cref="RelativePositionTiles{T}"/>).
    /// </summary>
    public static RelativePositionTiles<T> PackRelativePositions(in AttentionForwardArguments<T> args, int queryTile, int keyTile, int headDim) =>
        PackRelativePositions(args, queryTile, keyTile, headDim, paddedHeadDim: headDim, backward: null);

    /// <summary>
    /// The position rows of the backward pass: transposed and scaled, row-major and padded, the padded position queries,
    /// and zeroed partial gradients for <paramref name="groups"/> key-tile groups.
    /// </summary>
    public static RelativePositionTiles<T> PackRelativePositions(in AttentionBackwardArguments<T> args, int groups, int queryTile, int keyTile,
        int headDim, int paddedHeadDim) =>
        PackRelativePositions(args.Forward, queryTile, keyTile, headDim, paddedHeadDim, groups);

    private static RelativePositionTiles<T> PackRelativePositions(in AttentionForwardArguments<T> args, int queryTile, int keyTile,
        int headDim, int paddedHeadDim, int? backward)
    {
        if (args.Positions.Data == null || args.PositionQuery.Data == null || args.PositionCount < args.Keys)
            throw new ArgumentException(
                $"A kernel with relative positions needs the position queries and at least one position row per key ({args.Keys}); got {args.PositionCount} rows.");
        int heads = args.Heads, count = args.PositionCount, stride = args.Keys + queryTile + keyTile + 16;
        PaddedHeadRows<T>? positionQueries = backward is null ? null
            : PadRows(args.PositionQuery, args.BatchHeads, heads, args.Queries, headDim, paddedHeadDim, args.Threads);
        var tiles = new RelativePositionTiles<T>(heads, stride, headDim, paddedHeadDim, backward is not null)
        {
            PositionQueries = positionQueries,
            PositionQueryGradients = backward is int g ? new QueryGradientPartials<T>(g, args.BatchHeads, args.Queries, paddedHeadDim) : null,
            PositionGradients = backward is int h ? new QueryGradientPartials<T>(h, args.BatchHeads, stride, paddedHeadDim) : null,
        };
        var positions = args.Positions;
        T scale = args.Scale;
        bool rows = backward is not null;
        KernelParallel.For(heads, args.Threads, () => NoScratch.Instance, (head, _) =>
        {
            // The buffers are zeroed, so rows past the count stay zero.
            TransposeInto(tiles.Transposed(head), stride, positions.Row(head, heads, 0), positions.RowStride, count, headDim, scale);
            if (!rows)
                return;
            T* padded = tiles.Rows(head);
            for (int t = 0; t < count; t++)
                new ReadOnlySpan<T>(positions.Row(head, heads, t), headDim).CopyTo(new Span<T>(padded + (long)t * paddedHeadDim, headDim));
        });
        return tiles;
    }

    /// <summary>
    /// Adds the position term to the score tile: <c>S[r, c] += scale·PQ[queryStart + r]·P[t]</c>, t the row of the
    /// distance between query <c>queryStart + r</c> and key <c>keyStart + c</c>, computed for the tile's band of rows
    /// four queries at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddRelativePositions(int rows, in AttentionForwardArguments<T> args, RelativePositionTiles<T> positions, int batchHead,
        int queryStart, int keyStart)
    {
        int keyTile = KeyTile, band = BandWidth, heads = args.Heads, w = TOps.Count;
        int first = args.Queries - queryStart - rows + keyStart;
        T* transposed = positions.Transposed(batchHead % heads) + first;
        var query = args.PositionQuery;
        for (int r = 0; r < rows; r += 4)
        {
            int count = Math.Min(4, rows - r), x = rows - r - count;
            int width = (keyTile + count - 1 + w - 1) / w * w;
            TileProduct.Multiply<T, TVec, TOps>(count, width, HeadDim,
                query.Row(batchHead, heads, queryStart + r), (nint)query.RowStride, 1, transposed + x, positions.Stride,
                Band + (long)r * band + x, band, accumulate: false);
        }
        for (int r = 0; r < rows; r++)
        {
            T* score = Scores + (long)r * keyTile;
            T* term = Band + (long)r * band + (rows - 1 - r);
            for (int c = 0; c < keyTile; c += w)
                TOps.Store(TOps.Add(TOps.Load(score + c), TOps.Load(term + c)), score + c);
        }
    }

    /// <summary>
    /// The position term's gradients from the tile's score gradients dS (left by <see cref="ValueAndScoreGradients"/>):
    /// <c>dPQ[i] += Σⱼ dS[i, j]·P[t(i, j)]</c> and <c>dP[t(i, j)] += dS[i, j]·PQ[i]</c> into the group's partials (scaled in
    /// <see cref="ReduceRelativePositionGradients"/>), through the band: dS skewed so that each row's window of distances
    /// lines up, then two products over four band rows or columns at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void PropagateRelativePositionGradients(int rows, int keyCount, in AttentionForwardArguments<T> args, RelativePositionTiles<T> positions,
        int group, int batchHead, int queryStart, int keyStart)
    {
        int keyTile = KeyTile, band = BandWidth, heads = args.Heads, width = PaddedHeadDim;
        int first = args.Queries - queryStart - rows + keyStart;
        int span = rows - 1 + keyTile;
        // The band holds dS skewed: row r's score gradients from column rows − 1 − r, zeros around them.
        for (int r = 0; r < rows; r++)
        {
            T* line = Band + (long)r * band;
            new Span<T>(line, span).Clear();
            new ReadOnlySpan<T>(ScoreGradients + (long)r * keyTile, keyTile).CopyTo(new Span<T>(line + (rows - 1 - r), keyTile));
        }
        // dPQ[rows × width] += band · P over each block's KeyTile + 3 band columns.
        T* rowsOfP = positions.Rows(batchHead % heads) + (long)first * width;
        var queryGradients = positions.PositionQueryGradients!;
        for (int r = 0; r < rows; r += 4)
        {
            int count = Math.Min(4, rows - r), x = rows - r - count;
            TileProduct.Multiply<T, TVec, TOps>(count, width, keyTile + count - 1,
                Band + (long)r * band + x, band, 1, rowsOfP + (long)x * width, width,
                queryGradients.Row(group, batchHead, queryStart + r), width, accumulate: true);
        }
        // dP[band columns × width] += bandᵀ · PQ over the query rows whose windows reach each block of four columns.
        var queries = positions.PositionQueries!.Rows;
        var positionGradients = positions.PositionGradients!;
        int used = rows - 1 + keyCount;
        for (int x = 0; x < used; x += 4)
        {
            int count = Math.Min(4, used - x);
            int low = Math.Max(0, rows - x - count), high = Math.Min(rows, rows - 1 - x + keyCount);
            if (high <= low)
                continue;
            TileProduct.Multiply<T, TVec, TOps>(count, width, high - low,
                Band + (long)low * band + x, 1, band, queries.Row(batchHead, heads, queryStart + low), (nint)queries.RowStride,
                positionGradients.Row(group, batchHead, first + x), width, accumulate: true);
        }
    }

    /// <summary>
    /// Sums the partial position gradients: the position queries' per (batch, head) over the groups, the position rows'
    /// per head over the groups and the batch; multiplies both by the scale and writes them.
    /// </summary>
    public static void ReduceRelativePositionGradients(RelativePositionTiles<T> positions, in AttentionBackwardArguments<T> args, int headDim)
    {
        var forward = args.Forward;
        ReducePartials(positions.PositionQueryGradients!, args.PositionQueryGradient, forward.Heads, forward.BatchHeads, forward.Queries, headDim,
            forward.Scale, forward.Threads);
        var partials = positions.PositionGradients!;
        var destination = args.PositionGradient;
        int heads = forward.Heads, batch = forward.Batch, count = forward.PositionCount, groups = partials.Groups, width = partials.Width;
        T scale = forward.Scale;
        KernelParallel.For(heads, forward.Threads, () => NoScratch.Instance, (head, _) =>
        {
            for (int t = 0; t < count; t++)
            {
                T* sum = partials.Row(0, head, t);
                for (int b = 0; b < batch; b++)
                    for (int g = 0; g < groups; g++)
                        if (b != 0 || g != 0)
                            VectorSteps<T, TVec, TOps>.Add(sum, partials.Row(g, b * heads + head, t), width);
                Scale(sum, destination.Row(head, heads, t), headDim, scale);
            }
        });
    }
}
