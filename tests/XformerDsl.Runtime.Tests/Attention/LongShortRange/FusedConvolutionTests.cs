using TorchSharp;
using XformerDsl.Attention.LongShortRange;
using Xunit;
using static TorchSharp.torch;
using static XformerDsl.Tests.Attention.LongShortRange.ConvolutionKit;

namespace XformerDsl.Tests.Attention.LongShortRange;

/// <summary>
/// The fused convolution kernels against the reference, values and gradients: kernel sizes 1 to 31, causal and
/// centred, lightweight and dynamic, every SIMD width in float32 and float64, head sizes that are not a multiple of the
/// vector, sequences shorter than the kernel, batches; float64 finite differences of the fused path; calls without
/// gradients; and the reference path and errors for what the kernels do not serve.
/// </summary>
public class FusedConvolutionTests
{
    public static TheoryData<string, bool, int, int, int, int> ReferenceCases() => new()
    {
        // shape, dynamic, batch, seq, channels, heads
        { nameof(Causal3), false, 2, 40, 64, 4 },
        { nameof(Causal3), true, 2, 40, 64, 4 },
        { nameof(Centred3), true, 1, 17, 36, 3 },       // 12 channels a head: a vector and a remainder at most widths
        { nameof(Causal5), true, 3, 29, 20, 4 },        // 5 channels a head: mostly the scalar remainder
        { nameof(Centred5), false, 3, 29, 20, 4 },
        { nameof(Causal7), false, 2, 70, 48, 2 },
        { nameof(Centred7), true, 2, 70, 48, 2 },
        { nameof(Causal15), true, 2, 50, 96, 3 },
        { nameof(Centred15), false, 1, 50, 96, 3 },
        { nameof(Causal31), true, 2, 100, 64, 2 },
        { nameof(Causal31), false, 2, 100, 64, 2 },
        { nameof(Centred31), true, 2, 100, 40, 8 },
        { nameof(Causal31), true, 2, 10, 32, 2 },       // seq shorter than the kernel
        { nameof(Centred31), false, 2, 12, 32, 4 },
        { nameof(Centred15), true, 1, 1, 16, 1 },       // one position
        { nameof(Causal1), true, 2, 9, 16, 2 },
    };

    [Theory]
    [MemberData(nameof(ReferenceCases))]
    public void Output_and_gradients_match_the_reference(string shape, bool dynamic, int batch, int seq, int channels, int heads)
    {
        var s = Shapes[shape];
        using var scope = NewDisposeScope();
        var (x, weights) = Inputs(dynamic, batch, seq, channels, heads, s.KernelSize, float32, seed: seq + channels);
        var upstream = randn(x.shape, dtype: float32, generator: new Generator(99));
        Assert.Null(s.WhyNotFused(x, weights));

        var fused = OutputAndGradients(s.Fused, x, weights, upstream);
        var reference = OutputAndGradients(s.Reference, x, weights, upstream);

        AssertClose(reference.Output, fused.Output, "output", 1e-5);
        AssertClose(reference.InputGradient, fused.InputGradient, "input gradient", 1e-5);
        AssertClose(reference.WeightGradient, fused.WeightGradient, "weight gradient", 1e-4);
    }

    public static TheoryData<string, bool, int, bool> WidthCases()
    {
        var cases = new TheoryData<string, bool, int, bool>();
        foreach (int bits in new[] { 512, 256, 128 })
            foreach (bool float64 in new[] { false, true })
            {
                cases.Add(nameof(Causal7), false, bits, float64);
                cases.Add(nameof(Centred5), true, bits, float64);
                cases.Add(nameof(Causal31), true, bits, float64);
                cases.Add(nameof(Centred15), false, bits, float64);
            }
        return cases;
    }

    [Theory]
    [MemberData(nameof(WidthCases))]
    public void Every_simd_width_and_dtype_computes_the_reference_convolution(string shape, bool dynamic, int vectorBits, bool double64)
    {
        var s = Shapes[shape];
        var dtype = double64 ? float64 : float32;
        double tolerance = double64 ? 1e-12 : 1e-5;
        using var scope = NewDisposeScope();
        // 3 heads of 19 channels: four vectors, two, one or none per head depending on the width, then a remainder.
        // 80 positions: the middle block of 32 reads only inside the sequence at every kernel size here (the blocked paths).
        var (x, weights) = Inputs(dynamic, 2, 80, 57, 3, s.KernelSize, dtype, seed: vectorBits);
        var upstream = randn(x.shape, dtype: dtype, generator: new Generator(7));

        var output = s.RunForward(x, weights, vectorBits);
        var (inputGradient, weightGradient) = s.RunBackward(x, weights, upstream, vectorBits);
        var reference = OutputAndGradients(s.Reference, x, weights, upstream);

        AssertClose(reference.Output, output, "output", tolerance);
        AssertClose(reference.InputGradient, inputGradient, "input gradient", tolerance);
        AssertClose(reference.WeightGradient, weightGradient, "weight gradient", double64 ? 1e-11 : 1e-4);
    }

    [Theory]
    [InlineData(nameof(Causal3), false)]
    [InlineData(nameof(Centred3), true)]
    [InlineData(nameof(Causal5), true)]
    public void Fused_gradients_match_float64_finite_differences(string shape, bool dynamic)
    {
        var s = Shapes[shape];
        using var scope = NewDisposeScope();
        var (x, weights) = Inputs(dynamic, 2, 7, 6, 2, s.KernelSize, float64, seed: 21);
        var upstream = randn(x.shape, dtype: float64, generator: new Generator(22));
        AssertGradientsMatchFiniteDifferences((input, w) => (s.Fused(input, w) * upstream).sum(), x, weights);
    }

    [Fact]
    public void A_lightweight_bias_is_added_and_gets_its_gradient()
    {
        var s = Shapes[nameof(Centred7)];
        using var scope = NewDisposeScope();
        var (x, weight) = Inputs(false, 2, 20, 16, 4, 7, float64, seed: 8);
        var bias = randn(16, dtype: float64, generator: new Generator(9));
        var upstream = randn(x.shape, dtype: float64, generator: new Generator(10));
        (Tensor Output, Tensor Gradient) Run(Func<Tensor, Tensor, Tensor?, Tensor> convolution)
        {
            var b = bias.detach().requires_grad_();
            using var enabled = enable_grad();
            var output = convolution(x, weight, b);
            (output * upstream).sum().backward();
            return (output.detach(), b.grad!);
        }
        var fused = Run(s.Lightweight);
        var reference = Run((input, w, b) => ConvolutionReference.Lightweight(input, w, causal: false, b));
        AssertClose(reference.Output, fused.Output, "output", 1e-12);
        AssertClose(reference.Gradient, fused.Gradient, "bias gradient", 1e-12);
    }

    [Fact]
    public void Without_gradients_the_kernel_runs_outside_autograd_and_reads_strided_inputs()
    {
        var s = Shapes[nameof(Causal7)];
        using var scope = NewDisposeScope();
        var (x, weights) = Inputs(true, 2, 30, 24, 3, 7, float32, seed: 5);
        var expected = s.Reference(x, weights);
        var plain = s.Dynamic(x, weights);
        Assert.False(plain.requires_grad);
        AssertClose(expected, plain, "output", 1e-5);
        using (no_grad())
            AssertClose(expected, s.Dynamic(x.requires_grad_(), weights), "output under no_grad", 1e-5);
        // A [batch, channels, seq] tensor viewed batch-first is not contiguous; the kernel copies what it cannot read in place.
        var transposed = x.detach().transpose(1, 2).contiguous().transpose(1, 2);
        Assert.False(transposed.is_contiguous());
        AssertClose(expected, s.Dynamic(transposed, weights), "strided input", 1e-5);
    }

    [Fact]
    public void Tensors_the_kernels_do_not_serve_take_the_reference_path_and_wrong_shapes_fail_with_the_shapes()
    {
        var s = Shapes[nameof(Causal5)];
        using var scope = NewDisposeScope();
        var (x, weights) = Inputs(true, 1, 9, 8, 2, 5, float32, seed: 2);
        Assert.Contains("float32 and float64", s.WhyNotFused(x.to(bfloat16), weights.to(bfloat16)));
        var half = s.Dynamic(x.to(bfloat16), weights.to(bfloat16));
        Assert.Equal(bfloat16, half.dtype);
        AssertClose(s.Reference(x, weights), half, "bfloat16 output", 2e-2);

        var wrongSize = Assert.Throws<ArgumentException>(() => s.Dynamic(x, weights[.., .., .., ..3]));
        Assert.Contains("causal convolution of kernel size 5", wrongSize.Message);
        Assert.Contains("[1, 9, 2, 3]", wrongSize.Message);
        var lightweight = Assert.Throws<ArgumentException>(() => s.Lightweight(x, ones(3, 5), null));
        Assert.Contains("[3, 5]", lightweight.Message);
        Assert.Contains("8 channels", lightweight.Message);
        var dtypes = Assert.Throws<ArgumentException>(() => s.Dynamic(x, weights.to(float64)));
        Assert.Contains("share a dtype", dtypes.Message);

        var even = Assert.Throws<ArgumentException>(() => Shapes[nameof(Centred4)].Lightweight(x, ones(2, 4) / 4, null));
        Assert.Contains("odd kernel size", even.Message);
        // A causal kernel of even size is fine.
        AssertClose(ConvolutionReference.Lightweight(x, ones(2, 4) / 4, causal: true), Shapes[nameof(Causal4)].Lightweight(x, ones(2, 4) / 4, null), "even causal", 1e-6);
    }
}
