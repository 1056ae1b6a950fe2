using TorchSharp;
using XformerDsl.Modules;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Models;

/// <summary>The building blocks the generated modules call (Runtime/Modules).</summary>
public class RuntimeModuleTests
{
    [Fact]
    public void RmsNorm_divides_by_the_root_mean_square_and_scales_by_weight()
    {
        using var norm = new RmsNorm(4, eps: 1e-6);
        using var scope = NewDisposeScope();
        using (no_grad())
            norm.weight.copy_(tensor(new float[] { 1, 2, 3, 4 }));
        var x = tensor(new float[] { 1, -1, 1, -1, 2, 2, 2, 2 }).reshape(2, 4);

        var y = norm.call(x);

        // Rows have RMS 1 and 2, so both normalise to ±1 before the weight.
        var expected = tensor(new float[] { 1, -2, 3, -4, 1, 2, 3, 4 }).reshape(2, 4);
        Assert.True(y.allclose(expected, rtol: 1e-5, atol: 1e-5));
        Assert.Equal(new[] { "weight" }, norm.state_dict().Keys);
    }

    [Fact]
    public void RmsNorm_weight_follows_the_module_to_another_dtype()
    {
        using var norm = new RmsNorm(3);
        norm.to(float64);

        Assert.Equal(float64, norm.weight.dtype);
        Assert.Equal(float64, norm.state_dict()["weight"].dtype);
        Assert.Equal(float64, norm.call(ones(2, 3, float64)).dtype);
    }

    [Fact]
    public void Rotary_scores_depend_only_on_relative_position()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(3);
        var q = randn(1, 1, 1, 8, float64);
        var k = randn(1, 1, 1, 8, float64);
        var tables = RotaryEmbedding.Tables(16, 8, 10000.0, CPU, float64);

        double Score(long m, long n)
        {
            // Place q at position m and k at position n of a 16-long sequence, then rotate.
            var qs = zeros(1, 1, 16, 8, float64); qs[0, 0, m] = q[0, 0, 0];
            var ks = zeros(1, 1, 16, 8, float64); ks[0, 0, n] = k[0, 0, 0];
            var rq = RotaryEmbedding.Apply(qs, tables)[0, 0, m];
            var rk = RotaryEmbedding.Apply(ks, tables)[0, 0, n];
            return rq.dot(rk).item<double>();
        }

        Assert.Equal(Score(5, 2), Score(13, 10), 10);
        Assert.Equal(Score(0, 0), Score(9, 9), 10);
        Assert.Equal(q[0, 0, 0].dot(k[0, 0, 0]).item<double>(), Score(4, 4), 10);    // equal positions: plain dot product
        Assert.NotEqual(Score(5, 2), Score(5, 3), 6);
    }

    [Fact]
    public void Rotary_preserves_norms_and_rejects_odd_head_sizes()
    {
        using var scope = NewDisposeScope();
        var x = randn(2, 3, 10, 6, float64);
        var rotated = RotaryEmbedding.Apply(x, RotaryEmbedding.Tables(10, 6, 500.0, CPU, float64));

        Assert.True(rotated.square().sum(-1).allclose(x.square().sum(-1)));
        Assert.Throws<ArgumentException>(() => RotaryEmbedding.Tables(10, 5, 10000.0));
    }

    [Fact]
    public void Sinusoidal_table_matches_the_paper()
    {
        using var scope = NewDisposeScope();
        var table = SinusoidalPositions.Table(7, 5, CPU, float64);

        Assert.Equal(new long[] { 7, 5 }, table.shape);
        for (int p = 0; p < 7; p++)
            for (int i = 0; i < 5; i++)
            {
                double angle = p / Math.Pow(10000.0, 2 * (i / 2) / 5.0);
                double expected = i % 2 == 0 ? Math.Sin(angle) : Math.Cos(angle);
                Assert.Equal(expected, table[p, i].item<double>(), 12);
            }
    }
}
