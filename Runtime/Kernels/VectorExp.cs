using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace XformerDsl.Kernels;

/// <summary>
/// eˣ of float32 lanes, written out so the JIT inlines it into the kernels. <c>Vector512.Exp</c> and its narrower
/// forms are not inlined into a method marked <c>AggressiveOptimization</c> (every kernel loop), and the callee they
/// reach (<c>VectorMath.ExpSingle</c>, which widens to double) stayed at tier 0 under perf: a softmax tile spent about
/// ten times as long in it as in the arithmetic below. Cephes' <c>expf</c>: <c>x = n·ln 2 + r</c> with ln 2 split in
/// two (Cody–Waite) so <c>r</c> is exact to a float, then a degree-5 polynomial for <c>eʳ</c> (error ≤ 2 ulp) and the
/// exponent bits raised by <c>n</c>. Results below float's smallest normal number (x &lt; −87) are flushed to zero,
/// which is what a softmax wants of e^−∞ and of probabilities under 10⁻³⁸; x &gt; 88.7 gives +∞; NaN stays NaN.
/// </summary>
public static class VectorExp
{
    private const float Log2E = 1.44269504088896341f;
    // ln 2 = Ln2High + Ln2Low, the first with few enough mantissa bits that n·Ln2High is exact for |n| ≤ 128.
    private const float Ln2High = 0.693359375f;
    private const float Ln2Low = -2.12194440e-4f;
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
        P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
    // Below this, n ≤ −126 would carry the exponent bits into the subnormal range: flush to zero instead.
    private const float FlushBelow = -87f;
    private const float OverflowAbove = 88.72283f;

    /// <summary>Lane-wise eˣ of 16 floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Of(Vector512<float> x)
    {
        var n = Vector512.Round(x * Vector512.Create(Log2E));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Low), Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2High), x));
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(P0), r, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P5));
        p = Vector512.FusedMultiplyAdd(p, r * r, r + Vector512<float>.One);
        var scaled = (p.AsInt32() + Vector512.ShiftLeft(Vector512.ConvertToInt32Native(n), 23)).AsSingle();
        scaled = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(FlushBelow)), Vector512<float>.Zero, scaled);
        return Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(OverflowAbove)), Vector512.Create(float.PositiveInfinity), scaled);
    }

    /// <summary>Lane-wise eˣ of 8 floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Of(Vector256<float> x)
    {
        var n = Vector256.Round(x * Vector256.Create(Log2E));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Low), Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2High), x));
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(P0), r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P5));
        p = Vector256.FusedMultiplyAdd(p, r * r, r + Vector256<float>.One);
        var scaled = (p.AsInt32() + Vector256.ShiftLeft(Vector256.ConvertToInt32Native(n), 23)).AsSingle();
        scaled = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(FlushBelow)), Vector256<float>.Zero, scaled);
        return Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(OverflowAbove)), Vector256.Create(float.PositiveInfinity), scaled);
    }

    /// <summary>Lane-wise eˣ of 4 floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Of(Vector128<float> x)
    {
        var n = Vector128.Round(x * Vector128.Create(Log2E));
        var r = Vector128.FusedMultiplyAdd(n, Vector128.Create(-Ln2Low), Vector128.FusedMultiplyAdd(n, Vector128.Create(-Ln2High), x));
        var p = Vector128.FusedMultiplyAdd(Vector128.Create(P0), r, Vector128.Create(P1));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P2));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P3));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P4));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P5));
        p = Vector128.FusedMultiplyAdd(p, r * r, r + Vector128<float>.One);
        var scaled = (p.AsInt32() + Vector128.ShiftLeft(Vector128.ConvertToInt32Native(n), 23)).AsSingle();
        scaled = Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128.Create(FlushBelow)), Vector128<float>.Zero, scaled);
        return Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128.Create(OverflowAbove)), Vector128.Create(float.PositiveInfinity), scaled);
    }
}
