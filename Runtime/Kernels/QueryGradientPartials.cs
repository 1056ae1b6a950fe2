namespace XformerDsl.Kernels;

/// <summary>
/// Query gradients accumulated separately by each group of key tiles, <c>[groups, batchHeads, queries, width]</c>, so
/// tasks that split one (batch, head) across threads never write the same row; reduced at the end.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed unsafe class QueryGradientPartials<T> : IDisposable where T : unmanaged
{
    private readonly NativeBuffer<T> _buffer;
    private readonly int _batchHeads, _queries;

    /// <summary>Zeroed partials for <paramref name="groups"/> groups.</summary>
    public QueryGradientPartials(int groups, int batchHeads, int queries, int width)
    {
        Groups = groups;
        Width = width;
        _batchHeads = batchHeads;
        _queries = queries;
        _buffer = new NativeBuffer<T>((long)groups * batchHeads * queries * width);
    }

    /// <summary>Number of partial sums.</summary>
    public int Groups { get; }

    /// <summary>Row width (the padded head size).</summary>
    public int Width { get; }

    internal T* Row(int group, int batchHead, int query) =>
        _buffer.Pointer + (((long)group * _batchHeads + batchHead) * _queries + query) * Width;

    /// <inheritdoc/>
    public void Dispose() => _buffer.Dispose();
}
