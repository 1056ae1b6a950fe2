using static TorchSharp.torch;

namespace XformerDsl.Attention.Axial;

/// <summary>
/// The sequence as a Rows × Columns grid, row-major. Column heads of axial attention read it column by column, so each
/// column becomes a contiguous block and a block kernel serves it: <see cref="ToColumnMajor"/> pads a shorter sequence to
/// the whole grid and reorders it, <see cref="FromColumnMajor"/> reorders back and cuts the padding off.
/// </summary>
public static class AxialGrid
{
    /// <summary>
    /// <c>[batch, heads, seq, headDim]</c> (seq ≤ rows · columns) to <c>[batch, heads, rows · columns, headDim]</c> in
    /// column-major order: position c · rows + r holds grid cell (r, c), zero where the sequence has no token.
    /// </summary>
    public static Tensor ToColumnMajor(Tensor x, int rows, int columns)
    {
        long batch = x.shape[0], heads = x.shape[1], seq = x.shape[2], headDim = x.shape[3];
        CheckLength(seq, rows, columns);
        var full = seq == (long)rows * columns ? x : nn.functional.pad(x, new long[] { 0, 0, 0, (long)rows * columns - seq });
        return full.reshape(batch, heads, rows, columns, headDim).transpose(2, 3).reshape(batch, heads, (long)rows * columns, headDim);
    }

    /// <summary>The inverse of <see cref="ToColumnMajor"/>: back to row-major order, cut to <paramref name="seq"/> positions.</summary>
    public static Tensor FromColumnMajor(Tensor x, int rows, int columns, long seq)
    {
        long batch = x.shape[0], heads = x.shape[1], headDim = x.shape[3];
        return x.reshape(batch, heads, columns, rows, headDim).transpose(2, 3).reshape(batch, heads, (long)rows * columns, headDim).narrow(2, 0, seq);
    }

    /// <summary>
    /// The key-padding mask of the column-major grid, <c>[batch, rows · columns]</c>: the given mask (or all true)
    /// reordered, false for the cells past the sequence. Null when there is neither a mask nor padding.
    /// </summary>
    public static Tensor? ColumnMajorMask(Tensor? keyPaddingMask, long batch, long seq, int rows, int columns, Device device)
    {
        CheckLength(seq, rows, columns);
        long cells = (long)rows * columns;
        if (keyPaddingMask is null && seq == cells)
            return null;
        var mask = keyPaddingMask?.to(ScalarType.Bool) ?? ones(batch, seq, ScalarType.Bool, device);
        if (seq < cells)
            mask = cat(new[] { mask, zeros(batch, cells - seq, ScalarType.Bool, device) }, 1);
        return mask.reshape(batch, rows, columns).transpose(1, 2).reshape(batch, cells);
    }

    private static void CheckLength(long seq, int rows, int columns)
    {
        if (seq > (long)rows * columns)
            throw new ArgumentException(
                $"Axial attention over a {rows} × {columns} grid holds up to {(long)rows * columns} positions, but the sequence has {seq}; cut it, or declare a larger grid and MaxLength.");
    }
}
