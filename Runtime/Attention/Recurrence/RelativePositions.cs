using XformerDsl.Modules;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Recurrence;

/// <summary>
/// The relative positions of Transformer-XL (Dai et al., 2019, §3.3): the sinusoid rows R of the query–key distances a
/// segment's scores use. Queries are the segment's positions, keys the memory's and then the segment's, so query i
/// (key position <c>memory + i</c>) is at distance <c>memory + i − j</c> from key j. The rows run over descending
/// distances, from <c>keys − 1</c> (the first query to the first key) down to 0 when causal, or down to <c>−(queries − 1)</c>
/// (the first query to the last key) when bidirectional, so that query i and key j meet in row <c>queries − 1 − i + j</c>.
/// </summary>
public static class RelativePositions
{
    /// <summary>How many distance rows a segment of <paramref name="queries"/> over <paramref name="keys"/> keys uses.</summary>
    public static long Count(long queries, long keys, bool causal) => causal ? keys : keys + queries - 1;

    /// <summary>The row that holds the distance between query <paramref name="query"/> and key <paramref name="key"/>.</summary>
    public static long RowOf(long queries, long query, long key) => queries - 1 - query + key;

    /// <summary>
    /// The distances of the rows, descending, <c>[Count]</c> int64; with <paramref name="clampLength"/> &gt; 0 each is
    /// clamped to <c>[−clampLength, clampLength]</c> (the reference's <c>clamp_len</c>: every farther key looks as far
    /// as the clamp).
    /// </summary>
    public static Tensor Distances(long queries, long keys, bool causal, int clampLength, Device? device = null)
    {
        CheckSizes(queries, keys);
        var distances = arange(keys - 1, keys - 1 - Count(queries, keys, causal), -1, ScalarType.Int64, device ?? CPU);
        return clampLength > 0 ? distances.clamp(-clampLength, clampLength) : distances;
    }

    /// <summary>
    /// The sinusoids of <see cref="Distances"/>, <c>[Count, dim]</c> (the sine/cosine table of
    /// <see cref="SinusoidalPositions"/> at each distance); the attention projects them by its W_R.
    /// </summary>
    public static Tensor Table(long queries, long keys, bool causal, int clampLength, long dim, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        using var distances = Distances(queries, keys, causal, clampLength);
        return SinusoidalPositions.Of(distances, dim, device, dtype);
    }

    private static void CheckSizes(long queries, long keys)
    {
        if (queries < 1 || keys < queries)
            throw new ArgumentException(
                $"Relative positions need at least one query and at least as many keys (memory, then the segment) as queries; got {queries} queries and {keys} keys.");
    }
}
