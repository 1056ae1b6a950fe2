using System.Numerics;
using System.Runtime.CompilerServices;

namespace XformerDsl.Kernels;

/// <summary>
/// The one matrix product every fused attention kernel is built from:
/// <c>C[rows × cols] (+)= Σₖ A(r, k) · B[k, :]</c>, where A is read element by element through two strides (so the same
/// code multiplies by A or by Aᵀ without a transpose) and B and C are row-major. Register-blocked: each step broadcasts
/// four elements of A, loads four vectors of B and issues sixteen fused multiply-adds into accumulators that stay in
/// registers for the whole depth loop (the outer-product microkernel of BLIS-style GEMMs).
/// </summary>
public static unsafe class TileProduct
{
    /// <summary>
    /// <c>C = (accumulate ? C : 0) + A·B</c> with <c>A(r, k) = a[r·aRowStride + k·aColStride]</c>,
    /// <c>B(k, j) = b[k·bRowStride + j]</c>, <c>C(r, j) = c[r·cRowStride + j]</c>.
    /// </summary>
    /// <param name="rows">Rows of A and C.</param>
    /// <param name="cols">Columns of B and C; a multiple of <c>TOps.Count</c> (callers pad their buffers).</param>
    /// <param name="depth">Columns of A, rows of B.</param>
    /// <param name="a">A's first element.</param>
    /// <param name="aRowStride">Elements between A(r, k) and A(r + 1, k).</param>
    /// <param name="aColStride">Elements between A(r, k) and A(r, k + 1).</param>
    /// <param name="b">B's first element.</param>
    /// <param name="bRowStride">Elements between rows of B.</param>
    /// <param name="c">C's first element.</param>
    /// <param name="cRowStride">Elements between rows of C.</param>
    /// <param name="accumulate">Add to C (true) or overwrite it (false).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<T, TVec, TOps>(int rows, int cols, int depth,
        T* a, nint aRowStride, nint aColStride, T* b, nint bRowStride, T* c, nint cRowStride, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>
    {
        int width = TOps.Count;
        int panel = 4 * width;
        int col = 0;
        for (; col + panel <= cols; col += panel)
        {
            int row = 0;
            for (; row + 4 <= rows; row += 4)
                Block4x4<T, TVec, TOps>(depth, a + row * aRowStride, aRowStride, aColStride, b + col, bRowStride, c + row * cRowStride + col, cRowStride, accumulate);
            for (; row < rows; row++)
                Block1x4<T, TVec, TOps>(depth, a + row * aRowStride, aColStride, b + col, bRowStride, c + row * cRowStride + col, accumulate);
        }
        for (; col < cols; col += width)
        {
            int row = 0;
            for (; row + 4 <= rows; row += 4)
                Block4x1<T, TVec, TOps>(depth, a + row * aRowStride, aRowStride, aColStride, b + col, bRowStride, c + row * cRowStride + col, cRowStride, accumulate);
            for (; row < rows; row++)
                Block1x1<T, TVec, TOps>(depth, a + row * aRowStride, aColStride, b + col, bRowStride, c + row * cRowStride + col, accumulate);
        }
    }

    // Four rows by four vectors: 16 accumulators, 4 loads of B and 4 broadcasts of A per 16 multiply-adds.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block4x4<T, TVec, TOps>(int depth, T* a, nint aRow, nint aCol, T* b, nint bRow, T* c, nint cRow, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>
    {
        int w = TOps.Count;
        TVec c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33;
        if (accumulate)
        {
            T* r = c;
            c00 = TOps.Load(r); c01 = TOps.Load(r + w); c02 = TOps.Load(r + 2 * w); c03 = TOps.Load(r + 3 * w); r += cRow;
            c10 = TOps.Load(r); c11 = TOps.Load(r + w); c12 = TOps.Load(r + 2 * w); c13 = TOps.Load(r + 3 * w); r += cRow;
            c20 = TOps.Load(r); c21 = TOps.Load(r + w); c22 = TOps.Load(r + 2 * w); c23 = TOps.Load(r + 3 * w); r += cRow;
            c30 = TOps.Load(r); c31 = TOps.Load(r + w); c32 = TOps.Load(r + 2 * w); c33 = TOps.Load(r + 3 * w);
        }
        else
        {
            c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = c20 = c21 = c22 = c23 = c30 = c31 = c32 = c33 = TOps.Zero;
        }
        for (int k = 0; k < depth; k++)
        {
            TVec b0 = TOps.Load(b), b1 = TOps.Load(b + w), b2 = TOps.Load(b + 2 * w), b3 = TOps.Load(b + 3 * w);
            TVec x = TOps.Broadcast(a[0]);
            c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01); c02 = TOps.MultiplyAdd(x, b2, c02); c03 = TOps.MultiplyAdd(x, b3, c03);
            x = TOps.Broadcast(a[aRow]);
            c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11); c12 = TOps.MultiplyAdd(x, b2, c12); c13 = TOps.MultiplyAdd(x, b3, c13);
            x = TOps.Broadcast(a[2 * aRow]);
            c20 = TOps.MultiplyAdd(x, b0, c20); c21 = TOps.MultiplyAdd(x, b1, c21); c22 = TOps.MultiplyAdd(x, b2, c22); c23 = TOps.MultiplyAdd(x, b3, c23);
            x = TOps.Broadcast(a[3 * aRow]);
            c30 = TOps.MultiplyAdd(x, b0, c30); c31 = TOps.MultiplyAdd(x, b1, c31); c32 = TOps.MultiplyAdd(x, b2, c32); c33 = TOps.MultiplyAdd(x, b3, c33);
            a += aCol;
            b += bRow;
        }
        T* o = c;
        TOps.Store(c00, o); TOps.Store(c01, o + w); TOps.Store(c02, o + 2 * w); TOps.Store(c03, o + 3 * w); o += cRow;
        TOps.Store(c10, o); TOps.Store(c11, o + w); TOps.Store(c12, o + 2 * w); TOps.Store(c13, o + 3 * w); o += cRow;
        TOps.Store(c20, o); TOps.Store(c21, o + w); TOps.Store(c22, o + 2 * w); TOps.Store(c23, o + 3 * w); o += cRow;
        TOps.Store(c30, o); TOps.Store(c31, o + w); TOps.Store(c32, o + 2 * w); TOps.Store(c33, o + 3 * w);
    }

    // One row by four vectors: the row remainder of a panel.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block1x4<T, TVec, TOps>(int depth, T* a, nint aCol, T* b, nint bRow, T* c, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>
    {
        int w = TOps.Count;
        TVec c0, c1, c2, c3;
        if (accumulate)
        {
            c0 = TOps.Load(c); c1 = TOps.Load(c + w); c2 = TOps.Load(c + 2 * w); c3 = TOps.Load(c + 3 * w);
        }
        else
        {
            c0 = c1 = c2 = c3 = TOps.Zero;
        }
        for (int k = 0; k < depth; k++)
        {
            TVec x = TOps.Broadcast(a[0]);
            c0 = TOps.MultiplyAdd(x, TOps.Load(b), c0);
            c1 = TOps.MultiplyAdd(x, TOps.Load(b + w), c1);
            c2 = TOps.MultiplyAdd(x, TOps.Load(b + 2 * w), c2);
            c3 = TOps.MultiplyAdd(x, TOps.Load(b + 3 * w), c3);
            a += aCol;
            b += bRow;
        }
        TOps.Store(c0, c); TOps.Store(c1, c + w); TOps.Store(c2, c + 2 * w); TOps.Store(c3, c + 3 * w);
    }

    // Four rows by one vector: the column remainder when cols is not a multiple of four vectors.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block4x1<T, TVec, TOps>(int depth, T* a, nint aRow, nint aCol, T* b, nint bRow, T* c, nint cRow, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>
    {
        TVec c0, c1, c2, c3;
        if (accumulate)
        {
            c0 = TOps.Load(c); c1 = TOps.Load(c + cRow); c2 = TOps.Load(c + 2 * cRow); c3 = TOps.Load(c + 3 * cRow);
        }
        else
        {
            c0 = c1 = c2 = c3 = TOps.Zero;
        }
        for (int k = 0; k < depth; k++)
        {
            TVec y = TOps.Load(b);
            c0 = TOps.MultiplyAdd(TOps.Broadcast(a[0]), y, c0);
            c1 = TOps.MultiplyAdd(TOps.Broadcast(a[aRow]), y, c1);
            c2 = TOps.MultiplyAdd(TOps.Broadcast(a[2 * aRow]), y, c2);
            c3 = TOps.MultiplyAdd(TOps.Broadcast(a[3 * aRow]), y, c3);
            a += aCol;
            b += bRow;
        }
        TOps.Store(c0, c); TOps.Store(c1, c + cRow); TOps.Store(c2, c + 2 * cRow); TOps.Store(c3, c + 3 * cRow);
    }

    // One row by one vector: the corner remainder.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block1x1<T, TVec, TOps>(int depth, T* a, nint aCol, T* b, nint bRow, T* c, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>
    {
        TVec c0 = accumulate ? TOps.Load(c) : TOps.Zero;
        for (int k = 0; k < depth; k++)
        {
            c0 = TOps.MultiplyAdd(TOps.Broadcast(a[0]), TOps.Load(b), c0);
            a += aCol;
            b += bRow;
        }
        TOps.Store(c0, c);
    }
}
