namespace XformerDsl.Kernels;

/// <summary>One value per (batch·head, query), such as the backward pass's D.</summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed unsafe class QueryScalars<T> : IDisposable where T : unmanaged
{
    private readonly NativeBuffer<T> _buffer;
    private readonly int _queries;

    internal QueryScalars(int batchHeads, int queries)
    {
        _queries = queries;
        _buffer = new NativeBuffer<T>((long)batchHeads * queries);
    }

    internal T* Of(int batchHead, int query) => _buffer.Pointer + (long)batchHead * _queries + query;

    /// <inheritdoc/>
    public void Dispose() => _buffer.Dispose();
}
