using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace XformerDsl.Kernels;

/// <summary>
/// eˣ of float32 lanes, written out so the JIT inlines it into the kernels. <c>Vector512.Exp</c> and its narrower
/// forms are not inlined into a method marked <c>AggressiveOptimization</c> (every kernel loop), and the callee they
/// reach (<c>VectorMath.ExpSingle</c>, which widens to double) stayed at tier 0 under perf: a softmax tile spent about
/// ten times as long in it as in the arithmetic below. Cephes' <c>expf</c>: <c>x = n·ln 2 + r</c> with ln 2 split in
/// two (Cody–Waite) so <c>r</c> is exact to a float, then a degree-5 polynomial for <c>eʳ</c> (error ≤ 2 ulp) scaled by
/// 2ⁿ: one <c>vscalefps</c> where AVX-512 has it (the causal kernel's forward+backward at 4096 about 2 % faster on an
/// Intel Xeon, family 6 model 207), else <c>n</c> added to the exponent bits; the same results either way. Results
/// below float's smallest normal number (x &lt; −87) are flushed to zero, which is what a softmax wants of e^−∞ and of
/// probabilities under 10⁻³⁸; x &gt; 88.7 gives +∞; NaN stays NaN.
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
    public static Vector512<float> Of(Vector512<float> x) => Exp<Vector512<float>, Simd512<float>, Lanes512>(x);

    /// <summary>Lane-wise eˣ of 8 floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Of(Vector256<float> x) => Exp<Vector256<float>, Simd256<float>, Lanes256>(x);

    /// <summary>Lane-wise eˣ of 4 floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Of(Vector128<float> x) => Exp<Vector128<float>, Simd128<float>, Lanes128>(x);

    // The arithmetic is the width's kernel operations (TOps); TLanes adds the three steps only the exponential needs.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Exp<TVec, TOps, TLanes>(TVec x) where TVec : struct where TOps : ISimdOps<TVec, float> where TLanes : IFloatLanes<TVec>
    {
        var n = TLanes.Round(TOps.Multiply(x, TOps.Broadcast(Log2E)));
        var r = TOps.MultiplyAdd(n, TOps.Broadcast(-Ln2Low), TOps.MultiplyAdd(n, TOps.Broadcast(-Ln2High), x));
        var p = TOps.MultiplyAdd(TOps.Broadcast(P0), r, TOps.Broadcast(P1));
        p = TOps.MultiplyAdd(p, r, TOps.Broadcast(P2));
        p = TOps.MultiplyAdd(p, r, TOps.Broadcast(P3));
        p = TOps.MultiplyAdd(p, r, TOps.Broadcast(P4));
        p = TOps.MultiplyAdd(p, r, TOps.Broadcast(P5));
        p = TOps.MultiplyAdd(p, TOps.Multiply(r, r), TOps.Add(r, TOps.Broadcast(1f)));
        return TLanes.OutsideRange(x, FlushBelow, OverflowAbove, TLanes.ScaleByPowerOfTwo(p, n));
    }

    // The float steps of the exponential that the kernel operations do not have, at one vector width.
    private interface IFloatLanes<TVec> where TVec : struct
    {
        static abstract TVec Round(TVec a);
        // a · 2ⁿ for integer-valued n, exact while the result stays a normal float: one vscalefps where AVX-512 has it,
        // else n added to a's exponent bits (a conversion, a shift and an add).
        static abstract TVec ScaleByPowerOfTwo(TVec a, TVec n);
        // 0 where x < low, +∞ where x > high, value elsewhere (and where x is NaN).
        static abstract TVec OutsideRange(TVec x, float low, float high, TVec value);
    }

    private readonly struct Lanes512 : IFloatLanes<Vector512<float>>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Round(Vector512<float> a) => Vector512.Round(a);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> ScaleByPowerOfTwo(Vector512<float> a, Vector512<float> n) =>
            Avx512F.IsSupported ? Avx512F.Scale(a, n) : (a.AsInt32() + Vector512.ShiftLeft(Vector512.ConvertToInt32Native(n), 23)).AsSingle();
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> OutsideRange(Vector512<float> x, float low, float high, Vector512<float> value) =>
            Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(high)), Vector512.Create(float.PositiveInfinity),
                Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(low)), Vector512<float>.Zero, value));
    }

    private readonly struct Lanes256 : IFloatLanes<Vector256<float>>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Round(Vector256<float> a) => Vector256.Round(a);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> ScaleByPowerOfTwo(Vector256<float> a, Vector256<float> n) =>
            Avx512F.VL.IsSupported ? Avx512F.VL.Scale(a, n) : (a.AsInt32() + Vector256.ShiftLeft(Vector256.ConvertToInt32Native(n), 23)).AsSingle();
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> OutsideRange(Vector256<float> x, float low, float high, Vector256<float> value) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(high)), Vector256.Create(float.PositiveInfinity),
                Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(low)), Vector256<float>.Zero, value));
    }

    private readonly struct Lanes128 : IFloatLanes<Vector128<float>>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Round(Vector128<float> a) => Vector128.Round(a);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> ScaleByPowerOfTwo(Vector128<float> a, Vector128<float> n) =>
            (a.AsInt32() + Vector128.ShiftLeft(Vector128.ConvertToInt32Native(n), 23)).AsSingle();
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> OutsideRange(Vector128<float> x, float low, float high, Vector128<float> value) =>
            Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128.Create(high)), Vector128.Create(float.PositiveInfinity),
                Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128.Create(low)), Vector128<float>.Zero, value));
    }
}
