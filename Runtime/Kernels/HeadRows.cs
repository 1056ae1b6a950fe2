namespace XformerDsl.Kernels;

/// <summary>
/// A <c>[batch, heads, rows, width]</c> tensor as the kernels see it: a base pointer and the element strides between
/// batches, heads and rows, with the last dimension contiguous. Covers contiguous tensors and the head-split view
/// <c>x.view(batch, seq, heads, headDim).transpose(1, 2)</c> alike, so the kernels read projections without a copy.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly unsafe struct HeadRows<T> where T : unmanaged
{
    /// <summary>Wraps a base pointer and strides, in elements.</summary>
    public HeadRows(T* data, long batchStride, long headStride, long rowStride)
    {
        Data = data;
        BatchStride = batchStride;
        HeadStride = headStride;
        RowStride = rowStride;
    }

    /// <summary>Element [0, 0, 0, 0].</summary>
    public T* Data { get; }

    /// <summary>Elements between batch b and b + 1.</summary>
    public long BatchStride { get; }

    /// <summary>Elements between head h and h + 1.</summary>
    public long HeadStride { get; }

    /// <summary>Elements between row i and i + 1.</summary>
    public long RowStride { get; }

    /// <summary>Row <paramref name="row"/> of (batch, head) <paramref name="batchHead"/> = batch · heads + head.</summary>
    public T* Row(int batchHead, int heads, int row) =>
        Data + (batchHead / heads) * BatchStride + (batchHead % heads) * HeadStride + row * RowStride;

    /// <summary>Rows packed densely: <c>[batchHeads, rows, width]</c> starting at <paramref name="data"/>.</summary>
    public static HeadRows<T> Dense(T* data, int heads, int rows, int width) =>
        new HeadRows<T>(data, (long)heads * rows * width, (long)rows * width, width);
}
