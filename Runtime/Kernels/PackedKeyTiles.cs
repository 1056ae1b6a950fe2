namespace XformerDsl.Kernels;

/// <summary>Key tiles packed for the score product: <c>[batchHeads, tiles, headDim, keyTile]</c>, transposed and scaled.</summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed unsafe class PackedKeyTiles<T> : IDisposable where T : unmanaged
{
    private readonly NativeBuffer<T> _buffer;
    private readonly long _panelSize;
    private readonly int _tiles;

    internal PackedKeyTiles(int batchHeads, int tiles, int headDim, int keyTile)
    {
        _tiles = tiles;
        _panelSize = (long)headDim * keyTile;
        _buffer = new NativeBuffer<T>((long)batchHeads * tiles * _panelSize);
    }

    internal T* Panel(int batchHead, int tile) => _buffer.Pointer + ((long)batchHead * _tiles + tile) * _panelSize;

    /// <inheritdoc/>
    public void Dispose() => _buffer.Dispose();
}
