namespace XformerDsl.Kernels;

/// <summary>A head-sized operand whose rows are whole vectors: the original rows, or a zero-padded copy it owns.</summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class PaddedHeadRows<T> : IDisposable where T : unmanaged
{
    private readonly NativeBuffer<T>? _copy;

    internal PaddedHeadRows(HeadRows<T> rows, NativeBuffer<T>? copy)
    {
        Rows = rows;
        _copy = copy;
    }

    /// <summary>The rows.</summary>
    public HeadRows<T> Rows { get; }

    /// <inheritdoc/>
    public void Dispose() => _copy?.Dispose();
}
