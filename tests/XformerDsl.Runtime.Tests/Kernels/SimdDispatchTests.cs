using System.Numerics;
using System.Runtime.Intrinsics;
using XformerDsl.Kernels;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Runtime.Tests.Kernels;

/// <summary>
/// The one dtype and SIMD-width dispatch: float32 runs the call at float and float64 at double, a forced width is the
/// width run, no forced width is the widest the machine accelerates, and any other dtype is refused.
/// </summary>
public sealed class SimdDispatchTests
{
    [Theory]
    [InlineData(ScalarType.Float32, 512, typeof(float), typeof(Simd512<float>))]
    [InlineData(ScalarType.Float32, 256, typeof(float), typeof(Simd256<float>))]
    [InlineData(ScalarType.Float32, 128, typeof(float), typeof(Simd128<float>))]
    [InlineData(ScalarType.Float64, 512, typeof(double), typeof(Simd512<double>))]
    [InlineData(ScalarType.Float64, 256, typeof(double), typeof(Simd256<double>))]
    [InlineData(ScalarType.Float64, 128, typeof(double), typeof(Simd128<double>))]
    public void A_forced_width_runs_the_call_at_that_width_and_the_dtype_s_element_type(ScalarType dtype, int bits, Type element, Type ops)
    {
        var seen = new Seen();
        SimdDispatch.Run(dtype, new Record(seen), bits);
        Assert.Equal(element, seen.Element);
        Assert.Equal(ops, seen.Ops);
    }

    [Fact]
    public void Without_a_forced_width_the_call_runs_at_the_widest_accelerated_one()
    {
        var seen = new Seen();
        SimdDispatch.Run(ScalarType.Float32, new Record(seen));
        var widest = Vector512.IsHardwareAccelerated ? typeof(Simd512<float>)
            : Vector256.IsHardwareAccelerated ? typeof(Simd256<float>) : typeof(Simd128<float>);
        Assert.Equal(widest, seen.Ops);
    }

    [Fact]
    public void Other_dtypes_are_refused()
    {
        var seen = new Seen();
        Assert.Throws<ArgumentException>(() => SimdDispatch.Run(ScalarType.BFloat16, new Record(seen)));
        Assert.Null(seen.Ops);
    }

    private sealed class Seen
    {
        public Type? Element { get; set; }
        public Type? Ops { get; set; }
    }

    private readonly struct Record(Seen seen) : ISimdCall
    {
        public void Run<T, TVec, TOps>()
            where T : unmanaged, IFloatingPointIeee754<T>
            where TVec : struct
            where TOps : ISimdOps<TVec, T>
        {
            seen.Element = typeof(T);
            seen.Ops = typeof(TOps);
        }
    }
}
