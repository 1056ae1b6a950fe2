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
    public static Vector512<float> Of(Vector512<float> x) => Exp<Vector512<float>, Lanes512>(x);

    /// <summary>Lane-wise eˣ of 8 floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Of(Vector256<float> x) => Exp<Vector256<float>, Lanes256>(x);

    /// <summary>Lane-wise eˣ of 4 floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Of(Vector128<float> x) => Exp<Vector128<float>, Lanes128>(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Exp<TVec, TLanes>(TVec x) where TVec : struct where TLanes : IFloatLanes<TVec>
    {
        var n = TLanes.Round(TLanes.Multiply(x, TLanes.Create(Log2E)));
        var r = TLanes.MultiplyAdd(n, TLanes.Create(-Ln2Low), TLanes.MultiplyAdd(n, TLanes.Create(-Ln2High), x));
        var p = TLanes.MultiplyAdd(TLanes.Create(P0), r, TLanes.Create(P1));
        p = TLanes.MultiplyAdd(p, r, TLanes.Create(P2));
        p = TLanes.MultiplyAdd(p, r, TLanes.Create(P3));
        p = TLanes.MultiplyAdd(p, r, TLanes.Create(P4));
        p = TLanes.MultiplyAdd(p, r, TLanes.Create(P5));
        p = TLanes.MultiplyAdd(p, TLanes.Multiply(r, r), TLanes.Add(r, TLanes.Create(1f)));
        return TLanes.OutsideRange(x, FlushBelow, OverflowAbove, TLanes.ScaleByPowerOfTwo(p, n));
    }

    // The float operations the exponential needs, at one vector width.
    private interface IFloatLanes<TVec> where TVec : struct
    {
        static abstract TVec Create(float value);
        static abstract TVec Add(TVec a, TVec b);
        static abstract TVec Multiply(TVec a, TVec b);
        static abstract TVec MultiplyAdd(TVec a, TVec b, TVec addend);
        static abstract TVec Round(TVec a);
        // a · 2ⁿ for integer-valued n, by adding n to a's exponent bits: exact while the result stays a normal float.
        static abstract TVec ScaleByPowerOfTwo(TVec a, TVec n);
        // 0 where x < low, +∞ where x > high, value elsewhere (and where x is NaN).
        static abstract TVec OutsideRange(TVec x, float low, float high, TVec value);
    }

    private readonly struct Lanes512 : IFloatLanes<Vector512<float>>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Create(float value) => Vector512.Create(value);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> addend) => Vector512.FusedMultiplyAdd(a, b, addend);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Round(Vector512<float> a) => Vector512.Round(a);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> ScaleByPowerOfTwo(Vector512<float> a, Vector512<float> n) =>
            (a.AsInt32() + Vector512.ShiftLeft(Vector512.ConvertToInt32Native(n), 23)).AsSingle();
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> OutsideRange(Vector512<float> x, float low, float high, Vector512<float> value) =>
            Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(high)), Vector512.Create(float.PositiveInfinity),
                Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(low)), Vector512<float>.Zero, value));
    }

    private readonly struct Lanes256 : IFloatLanes<Vector256<float>>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Create(float value) => Vector256.Create(value);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> addend) => Vector256.FusedMultiplyAdd(a, b, addend);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Round(Vector256<float> a) => Vector256.Round(a);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> ScaleByPowerOfTwo(Vector256<float> a, Vector256<float> n) =>
            (a.AsInt32() + Vector256.ShiftLeft(Vector256.ConvertToInt32Native(n), 23)).AsSingle();
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> OutsideRange(Vector256<float> x, float low, float high, Vector256<float> value) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(high)), Vector256.Create(float.PositiveInfinity),
                Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(low)), Vector256<float>.Zero, value));
    }

    private readonly struct Lanes128 : IFloatLanes<Vector128<float>>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Create(float value) => Vector128.Create(value);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> addend) => Vector128.FusedMultiplyAdd(a, b, addend);
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
