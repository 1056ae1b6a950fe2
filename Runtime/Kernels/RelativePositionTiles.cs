using System.Numerics;

namespace XformerDsl.Kernels;

/// <summary>
/// Transformer-XL's relative-position rows <c>P = W_R·R</c> as a kernel with relative positions reads them, one copy per
/// head shared by the batch: transposed and scaled, <c>[heads, headDim, Stride]</c>, for the position scores of the
/// forward pass (and the backward pass's recomputation); and for the backward pass also row-major and padded,
/// <c>[heads, Stride, paddedHeadDim]</c>, with the padded position queries and the partial gradients of both. Rows past
/// <see cref="AttentionForwardArguments{T}.PositionCount"/> are zero: a causal tile reads them only where its mask hides
/// the score.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed unsafe class RelativePositionTiles<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly NativeBuffer<T> _transposed;
    private readonly NativeBuffer<T>? _rows;
    private readonly int _headDim, _paddedHeadDim;

    internal RelativePositionTiles(int heads, int stride, int headDim, int paddedHeadDim, bool backward)
    {
        Stride = stride;
        _headDim = headDim;
        _paddedHeadDim = paddedHeadDim;
        _transposed = new NativeBuffer<T>((long)heads * headDim * stride);
        _rows = backward ? new NativeBuffer<T>((long)heads * stride * paddedHeadDim) : null;
    }

    /// <summary>
    /// Position rows each head holds: every row a visited tile can reach, <c>keys + queryTile + keyTile + 16</c>, so
    /// the tile steps need no bounds checks.
    /// </summary>
    public int Stride { get; }

    /// <summary>Head <paramref name="head"/>'s rows transposed and scaled: element (d, t) at <c>d · Stride + t</c>.</summary>
    internal T* Transposed(int head) => _transposed.Pointer + (long)head * _headDim * Stride;

    /// <summary>Head <paramref name="head"/>'s rows, unscaled, padded to the padded head size (backward only).</summary>
    internal T* Rows(int head) => _rows!.Pointer + (long)head * Stride * _paddedHeadDim;

    /// <summary>The position queries padded to whole vectors (backward only).</summary>
    internal PaddedHeadRows<T>? PositionQueries { get; init; }

    /// <summary>Each key-tile group's partial gradient of the position queries (backward only).</summary>
    internal QueryGradientPartials<T>? PositionQueryGradients { get; init; }

    /// <summary>Each key-tile group's partial gradient of the position rows, per (batch, head) (backward only).</summary>
    internal QueryGradientPartials<T>? PositionGradients { get; init; }

    /// <inheritdoc/>
    public void Dispose()
    {
        _transposed.Dispose();
        _rows?.Dispose();
        PositionQueries?.Dispose();
        PositionQueryGradients?.Dispose();
        PositionGradients?.Dispose();
    }
}
