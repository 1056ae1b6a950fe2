using TorchSharp;
using XformerDsl.Attention.LongShortRange;
using Xunit;
using static TorchSharp.torch;
using static XformerDsl.Tests.Attention.LongShortRange.ConvolutionKit;

namespace XformerDsl.Tests.Attention.LongShortRange;

/// <summary>
/// The reference convolutions against oracles that share nothing with them: the definition computed by loops over
/// plain arrays, float64 central finite differences of their gradients, and each other (a lightweight kernel is a
/// dynamic one that every position repeats); plus the weight and padding helpers.
/// </summary>
public class ConvolutionReferenceTests
{
    // y[b, t, c] = Σ_k w(b, t, c / R, k) · x[b, t + k − P, c], zero outside the sequence, by loops.
    private static double[,,] Definition(double[,,] x, Func<int, int, int, int, double> weight, int heads, int kernelSize, int padding)
    {
        int batch = x.GetLength(0), seq = x.GetLength(1), channels = x.GetLength(2), perHead = channels / heads;
        var y = new double[batch, seq, channels];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < seq; t++)
                for (int c = 0; c < channels; c++)
                    for (int k = 0; k < kernelSize; k++)
                    {
                        int source = t + k - padding;
                        if (source >= 0 && source < seq)
                            y[b, t, c] += weight(b, t, c / perHead, k) * x[b, source, c];
                    }
        return y;
    }

    private static double[,,] Array3(Tensor t)
    {
        var data = t.to(float64).contiguous().data<double>().ToArray();
        int d0 = (int)t.shape[0], d1 = (int)t.shape[1], d2 = (int)t.shape[2];
        var result = new double[d0, d1, d2];
        for (int i = 0; i < data.Length; i++)
            result[i / (d1 * d2), i / d2 % d1, i % d2] = data[i];
        return result;
    }

    private static void AssertEqualsDefinition(double[,,] expected, Tensor actual)
    {
        var got = Array3(actual);
        Assert.Equal(expected.Length, got.Length);
        double worst = 0;
        foreach (var (e, a) in expected.Cast<double>().Zip(got.Cast<double>()))
            worst = Math.Max(worst, Math.Abs(e - a));
        Assert.True(worst < 1e-12, $"largest difference from the definition {worst:E2}");
    }

    [Theory]
    // kernel size, causal, seq (shorter than the kernel in the last cases of each)
    [InlineData(1, true, 5)]
    [InlineData(3, true, 9)]
    [InlineData(3, false, 9)]
    [InlineData(4, true, 6)]
    [InlineData(7, false, 11)]
    [InlineData(7, true, 4)]
    [InlineData(7, false, 3)]
    public void Both_convolutions_equal_their_definition_computed_by_loops(int kernelSize, bool causal, int seq)
    {
        using var scope = NewDisposeScope();
        const int Batch = 2, Channels = 6, Heads = 3;
        int padding = ConvolutionPadding.Left(kernelSize, causal);
        Assert.Equal(causal ? kernelSize - 1 : (kernelSize - 1) / 2, padding);

        var (x, shared) = Inputs(false, Batch, seq, Channels, Heads, kernelSize, float64, seed: kernelSize);
        var (_, perPosition) = Inputs(true, Batch, seq, Channels, Heads, kernelSize, float64, seed: kernelSize + 1);
        var bias = randn(Channels, dtype: float64, generator: new Generator(5));
        var xs = Array3(x);
        var w = shared.data<double>().ToArray();
        var wd = perPosition.contiguous().data<double>().ToArray();

        var lightweight = Definition(xs, (_, _, h, k) => w[h * kernelSize + k], Heads, kernelSize, padding);
        var withBias = (double[,,])lightweight.Clone();
        for (int b = 0; b < Batch; b++)
            for (int t = 0; t < seq; t++)
                for (int c = 0; c < Channels; c++)
                    withBias[b, t, c] += bias[c].item<double>();
        var dynamic = Definition(xs, (b, t, h, k) => wd[((b * seq + t) * Heads + h) * kernelSize + k], Heads, kernelSize, padding);

        AssertEqualsDefinition(lightweight, ConvolutionReference.Lightweight(x, shared, causal));
        AssertEqualsDefinition(withBias, ConvolutionReference.Lightweight(x, shared, causal, bias));
        AssertEqualsDefinition(dynamic, ConvolutionReference.Dynamic(x, perPosition, causal));
    }

    [Theory]
    [InlineData(5, true)]
    [InlineData(5, false)]
    public void A_lightweight_convolution_is_a_dynamic_one_whose_kernel_every_position_repeats(int kernelSize, bool causal)
    {
        using var scope = NewDisposeScope();
        var (x, weight) = Inputs(false, 2, 13, 8, 2, kernelSize, float64, seed: 3);
        var expanded = weight.expand(2, 13, 2, kernelSize);
        AssertClose(ConvolutionReference.Lightweight(x, weight, causal), ConvolutionReference.Dynamic(x, expanded, causal), "output", 1e-12);
    }

    [Theory]
    [InlineData(false, 3, true)]
    [InlineData(false, 5, false)]
    [InlineData(true, 3, false)]
    [InlineData(true, 4, true)]
    public void Reference_gradients_match_float64_finite_differences(bool dynamic, int kernelSize, bool causal)
    {
        using var scope = NewDisposeScope();
        var (x, weights) = Inputs(dynamic, 2, 6, 4, 2, kernelSize, float64, seed: 11);
        var upstream = randn(x.shape, dtype: float64, generator: new Generator(12));
        Tensor Loss(Tensor input, Tensor w) =>
            ((dynamic ? ConvolutionReference.Dynamic(input, w, causal) : ConvolutionReference.Lightweight(input, w, causal)) * upstream).sum();
        AssertGradientsMatchFiniteDifferences(Loss, x, weights);
    }

    [Fact]
    public void SoftmaxDropConnect_normalises_over_the_taps_and_drops_weights_in_training_only()
    {
        using var scope = NewDisposeScope();
        var logits = randn(new long[] { 2, 50, 4, 7 }, float64, generator: new Generator(1));
        var evaluation = ConvolutionReference.SoftmaxDropConnect(logits, 0.3, training: false);
        AssertClose(ones(2, 50, 4, dtype: float64), evaluation.sum(-1), "sum over taps", 1e-12);
        Assert.True((evaluation > 0).all().item<bool>());

        manual_seed(2);
        var training = ConvolutionReference.SoftmaxDropConnect(logits, 0.3, training: true);
        var dropped = (training == 0).to(float64).mean().item<double>();
        Assert.InRange(dropped, 0.2, 0.4);
        // The survivors are scaled by 1 / (1 − p), so the expected weight is unchanged.
        var kept = training != 0;
        AssertClose(evaluation.masked_select(kept) / 0.7, training.masked_select(kept), "survivors", 1e-12);
        Assert.Throws<ArgumentOutOfRangeException>(() => ConvolutionReference.SoftmaxDropConnect(logits, 1.0, training: true));
    }

    [Fact]
    public void Zeroed_padding_tokens_leave_the_real_tokens_outputs_unchanged_whatever_they_held()
    {
        using var scope = NewDisposeScope();
        var (x, weight) = Inputs(false, 2, 10, 4, 2, 3, float64, seed: 4);
        var mask = ones(2, 10, dtype: ScalarType.Bool);
        mask[0, TensorIndex.Slice(7)] = false;     // a right-padded sequence
        var other = x.clone();
        other[0, TensorIndex.Slice(7)] = 100.0;    // different garbage in the padding
        var first = ConvolutionReference.Lightweight(ConvolutionReference.ZeroPadding(x, mask), weight, causal: false);
        var second = ConvolutionReference.Lightweight(ConvolutionReference.ZeroPadding(other, mask), weight, causal: false);
        AssertClose(first, second, "output", 0);
        Assert.Equal(0.0, ConvolutionReference.ZeroPadding(other, mask)[0, TensorIndex.Slice(7)].abs().sum().item<double>());
        // Without the zeroing the padding leaks into position 6, a real token of a centred convolution.
        var leaked = ConvolutionReference.Lightweight(other, weight, causal: false);
        Assert.True((leaked[0, 6] - first[0, 6]).abs().max().item<double>() > 1);
        Assert.Throws<ArgumentException>(() => ConvolutionReference.ZeroPadding(x, mask[.., ..5]));
    }

    [Fact]
    public void Shapes_that_disagree_and_centred_kernels_of_even_size_are_refused_with_the_fix()
    {
        using var scope = NewDisposeScope();
        var (x, weight) = Inputs(false, 1, 5, 6, 3, 4, float64, seed: 1);
        var even = Assert.Throws<ArgumentException>(() => ConvolutionReference.Lightweight(x, weight, causal: false));
        Assert.Contains("odd kernel size", even.Message);
        Assert.Contains("Use 3 or 5", even.Message);
        var heads = Assert.Throws<ArgumentException>(() => ConvolutionReference.Lightweight(x, ones(4, 3, dtype: float64), causal: true));
        Assert.Contains("[4, 3]", heads.Message);
        Assert.Contains("6 channels", heads.Message);
        var dynamic = Assert.Throws<ArgumentException>(() => ConvolutionReference.Dynamic(x, ones(1, 4, 3, 3, dtype: float64), causal: true));
        Assert.Contains("[1, 4, 3, 3]", dynamic.Message);
        Assert.Contains("[1, 5, H, K]", dynamic.Message);
        Assert.Throws<ArgumentException>(() => ConvolutionReference.Dynamic(x.view(5, 6), weight, causal: true));
    }
}
