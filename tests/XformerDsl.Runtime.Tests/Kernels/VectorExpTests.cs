using System.Runtime.Intrinsics;
using XformerDsl.Kernels;
using Xunit;

namespace XformerDsl.Runtime.Tests.Kernels;

/// <summary>
/// The kernels' float eˣ at each SIMD width, against <see cref="Math.Exp(double)"/>: within 2 ulp over the range a
/// softmax uses and beyond, exactly 0 at −∞ and under float's smallest normal, +∞ past float's largest, NaN for NaN.
/// </summary>
public sealed class VectorExpTests
{
    // Every 1/64 from −90 to 90 and points just around the ends and around 0, where the reduction switches n.
    private static readonly float[] s_arguments =
    [
        .. Enumerable.Range(-90 * 64, 180 * 64 + 1).Select(i => i / 64f),
        -86.99f, -86.5f, -1e-7f, 1e-7f, 0.3465736f, -0.3465736f, 0.3465737f, 88.7f, 88.72f, 1.0000001f, 0.99999994f,
    ];

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    public void Within_two_ulp_of_the_double_exponential_where_the_result_is_a_normal_float(int bits)
    {
        var results = Apply(bits, s_arguments);
        for (int i = 0; i < s_arguments.Length; i++)
        {
            float x = s_arguments[i];
            double exact = Math.Exp(x);
            if (x < -87f || x > 88.72283f)
                continue;
            double ulp = (double)MathF.BitIncrement((float)exact) - (float)exact;
            double error = Math.Abs(results[i] - exact) / ulp;
            Assert.True(error <= 2, $"exp({x:R}) = {results[i]:R} at {bits} bits, exactly {exact:R}: {error:F2} ulp off.");
        }
    }

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    public void Zero_below_the_smallest_normal_infinity_past_the_largest_float_and_nan_for_nan(int bits)
    {
        float[] arguments = [float.NegativeInfinity, -1e30f, -200f, -87.5f, 89f, 1e30f, float.PositiveInfinity, float.NaN];
        var results = Apply(bits, arguments);
        Assert.Equal([0f, 0f, 0f, 0f, float.PositiveInfinity, float.PositiveInfinity, float.PositiveInfinity], results[..7]);
        Assert.True(float.IsNaN(results[7]), $"exp(NaN) = {results[7]} at {bits} bits.");
    }

    // The arguments through one width, padded to whole vectors; a width the machine does not accelerate still computes.
    private static float[] Apply(int bits, float[] arguments)
    {
        int lanes = bits / 32;
        var padded = new float[(arguments.Length + lanes - 1) / lanes * lanes];
        arguments.CopyTo(padded, 0);
        var results = new float[padded.Length];
        for (int i = 0; i < padded.Length; i += lanes)
        {
            switch (bits)
            {
                case 512: VectorExp.Of(Vector512.Create(padded, i)).CopyTo(results, i); break;
                case 256: VectorExp.Of(Vector256.Create(padded, i)).CopyTo(results, i); break;
                default: VectorExp.Of(Vector128.Create(padded, i)).CopyTo(results, i); break;
            }
        }
        return results[..arguments.Length];
    }
}
