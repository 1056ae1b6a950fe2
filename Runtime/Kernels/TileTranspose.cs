using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace XformerDsl.Kernels;

/// <summary>
/// The transpose of a small row-major block, optionally scaled: how kernels pack keys and values so that a tile
/// product reads them as whole vectors. Where the kernels run 512-bit vectors, float blocks go 16 × 16 at a time
/// through registers (64 shuffles for 256 elements); everything else, and the edges, element by element, reading the
/// source row by row (its rows may be far apart, the heads of a projection, and a column-by-column walk would fetch
/// each row's lines once per column).
/// </summary>
internal static unsafe class TileTranspose
{
    /// <summary>
    /// <c>destination[c·destinationStride + j] = source[j·sourceStride + c] · scale</c> for <c>j &lt; rows</c>,
    /// <c>c &lt; columns</c>; the rest of the destination is left as it is.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose<T>(T* source, long sourceStride, int rows, int columns, T* destination, long destinationStride, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int blockedRows = 0, blockedColumns = 0;
        // Where 512-bit vectors run at all (Avx512F) and the kernels use them (SimdWidth.Use512: .NET leaves them
        // off on processors that slow down for them).
        if (typeof(T) == typeof(float) && Avx512F.IsSupported && SimdWidth.Use512)
        {
            blockedRows = rows / 16 * 16;
            blockedColumns = columns / 16 * 16;
            float s = float.CreateTruncating(scale);
            for (int j = 0; j < blockedRows; j += 16)
                for (int c = 0; c < blockedColumns; c += 16)
                    Block16((float*)source + j * sourceStride + c, sourceStride, (float*)destination + c * destinationStride + j, destinationStride, s);
        }
        // Whatever the blocks left: the columns past them in their rows, then the rows past them.
        Elements(source, sourceStride, 0, blockedRows, blockedColumns, columns, destination, destinationStride, scale);
        Elements(source, sourceStride, blockedRows, rows, 0, columns, destination, destinationStride, scale);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Elements<T>(T* source, long sourceStride, int firstRow, int endRow, int firstColumn, int endColumn,
        T* destination, long destinationStride, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = firstRow; j < endRow; j++)
        {
            T* row = source + j * sourceStride;
            for (int c = firstColumn; c < endColumn; c++)
                destination[c * destinationStride + j] = row[c] * scale;
        }
    }

    // 16 rows of 16 floats in, 16 columns out. Unpacking pairs of rows, then pairs of pairs, leaves each 128-bit lane
    // holding four rows of one column; two rounds of 128-bit lane shuffles gather a column's four lanes. Written out
    // in locals so that all of it stays in the 32 vector registers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block16(float* source, long sourceStride, float* destination, long destinationStride, float scale)
    {
        var by = Vector512.Create(scale);
        var r0 = Vector512.Load(source) * by;
        var r1 = Vector512.Load(source + sourceStride) * by;
        var r2 = Vector512.Load(source + 2 * sourceStride) * by;
        var r3 = Vector512.Load(source + 3 * sourceStride) * by;
        var r4 = Vector512.Load(source + 4 * sourceStride) * by;
        var r5 = Vector512.Load(source + 5 * sourceStride) * by;
        var r6 = Vector512.Load(source + 6 * sourceStride) * by;
        var r7 = Vector512.Load(source + 7 * sourceStride) * by;
        var r8 = Vector512.Load(source + 8 * sourceStride) * by;
        var r9 = Vector512.Load(source + 9 * sourceStride) * by;
        var r10 = Vector512.Load(source + 10 * sourceStride) * by;
        var r11 = Vector512.Load(source + 11 * sourceStride) * by;
        var r12 = Vector512.Load(source + 12 * sourceStride) * by;
        var r13 = Vector512.Load(source + 13 * sourceStride) * by;
        var r14 = Vector512.Load(source + 14 * sourceStride) * by;
        var r15 = Vector512.Load(source + 15 * sourceStride) * by;
        // t2k, t2k+1: rows 2k and 2k + 1 interleaved, columns 4L, 4L + 1 and 4L + 2, 4L + 3 of each lane L.
        InterleaveSingles(r0, r1, out var t0, out var t1);
        InterleaveSingles(r2, r3, out var t2, out var t3);
        InterleaveSingles(r4, r5, out var t4, out var t5);
        InterleaveSingles(r6, r7, out var t6, out var t7);
        InterleaveSingles(r8, r9, out var t8, out var t9);
        InterleaveSingles(r10, r11, out var t10, out var t11);
        InterleaveSingles(r12, r13, out var t12, out var t13);
        InterleaveSingles(r14, r15, out var t14, out var t15);
        // u4k+m: lane L holds rows 4k … 4k + 3 of column 4L + m.
        InterleavePairs(t0, t2, out var u0, out var u1);
        InterleavePairs(t1, t3, out var u2, out var u3);
        InterleavePairs(t4, t6, out var u4, out var u5);
        InterleavePairs(t5, t7, out var u6, out var u7);
        InterleavePairs(t8, t10, out var u8, out var u9);
        InterleavePairs(t9, t11, out var u10, out var u11);
        InterleavePairs(t12, t14, out var u12, out var u13);
        InterleavePairs(t13, t15, out var u14, out var u15);
        // Column 4L + m is lane L of u(m), u(4 + m), u(8 + m), u(12 + m).
        StoreColumns(u0, u4, u8, u12, destination, destinationStride);
        StoreColumns(u1, u5, u9, u13, destination + destinationStride, destinationStride);
        StoreColumns(u2, u6, u10, u14, destination + 2 * destinationStride, destinationStride);
        StoreColumns(u3, u7, u11, u15, destination + 3 * destinationStride, destinationStride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InterleaveSingles(Vector512<float> a, Vector512<float> b, out Vector512<float> low, out Vector512<float> high)
    {
        low = Avx512F.UnpackLow(a, b);
        high = Avx512F.UnpackHigh(a, b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InterleavePairs(Vector512<float> a, Vector512<float> b, out Vector512<float> low, out Vector512<float> high)
    {
        low = Avx512F.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle();
        high = Avx512F.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();
    }

    // The four columns m, 4 + m, 8 + m, 12 + m from the vectors whose lane L holds four rows of column 4L + m.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreColumns(Vector512<float> rows0To3, Vector512<float> rows4To7, Vector512<float> rows8To11, Vector512<float> rows12To15,
        float* destination, long destinationStride)
    {
        var evenLanesLow = Avx512F.Shuffle4x128(rows0To3, rows4To7, 0x88);
        var oddLanesLow = Avx512F.Shuffle4x128(rows0To3, rows4To7, 0xDD);
        var evenLanesHigh = Avx512F.Shuffle4x128(rows8To11, rows12To15, 0x88);
        var oddLanesHigh = Avx512F.Shuffle4x128(rows8To11, rows12To15, 0xDD);
        Avx512F.Shuffle4x128(evenLanesLow, evenLanesHigh, 0x88).Store(destination);
        Avx512F.Shuffle4x128(oddLanesLow, oddLanesHigh, 0x88).Store(destination + 4 * destinationStride);
        Avx512F.Shuffle4x128(evenLanesLow, evenLanesHigh, 0xDD).Store(destination + 8 * destinationStride);
        Avx512F.Shuffle4x128(oddLanesLow, oddLanesHigh, 0xDD).Store(destination + 12 * destinationStride);
    }
}
