using TorchSharp;
using XformerDsl.Attention.LongShortRange;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Attention.LongShortRange;

// The per-size shapes the generator will emit for declared convolutions; here, the sizes the tests cover.
internal readonly struct Causal1 : IConvolutionShape { public static int KernelSize => 1; public static bool Causal => true; }
internal readonly struct Causal3 : IConvolutionShape { public static int KernelSize => 3; public static bool Causal => true; }
internal readonly struct Centred3 : IConvolutionShape { public static int KernelSize => 3; public static bool Causal => false; }
internal readonly struct Causal4 : IConvolutionShape { public static int KernelSize => 4; public static bool Causal => true; }
internal readonly struct Centred4 : IConvolutionShape { public static int KernelSize => 4; public static bool Causal => false; }
internal readonly struct Causal5 : IConvolutionShape { public static int KernelSize => 5; public static bool Causal => true; }
internal readonly struct Centred5 : IConvolutionShape { public static int KernelSize => 5; public static bool Causal => false; }
internal readonly struct Causal7 : IConvolutionShape { public static int KernelSize => 7; public static bool Causal => true; }
internal readonly struct Centred7 : IConvolutionShape { public static int KernelSize => 7; public static bool Causal => false; }
internal readonly struct Causal15 : IConvolutionShape { public static int KernelSize => 15; public static bool Causal => true; }
internal readonly struct Centred15 : IConvolutionShape { public static int KernelSize => 15; public static bool Causal => false; }
internal readonly struct Causal31 : IConvolutionShape { public static int KernelSize => 31; public static bool Causal => true; }
internal readonly struct Centred31 : IConvolutionShape { public static int KernelSize => 31; public static bool Causal => false; }

/// <summary>What the convolution tests share: a declared shape's entry points by name, inputs, and comparisons.</summary>
internal static class ConvolutionKit
{
    internal sealed record Shape(
        string Name, int KernelSize, bool Causal,
        Func<Tensor, Tensor, Tensor?, Tensor> Lightweight,
        Func<Tensor, Tensor, Tensor> Dynamic,
        Func<Tensor, Tensor, int, Tensor> RunForward,
        Func<Tensor, Tensor, Tensor, int, (Tensor, Tensor)> RunBackward,
        Func<Tensor, Tensor, string?> WhyNotFused,
        Func<long, int, int, Device, ScalarType, CausalConvolutionState> CreateState)
    {
        public static Shape Of<TShape>() where TShape : struct, IConvolutionShape =>
            new(typeof(TShape).Name, TShape.KernelSize, TShape.Causal,
                FusedConvolution<TShape>.Lightweight, FusedConvolution<TShape>.Dynamic,
                (x, w, bits) => FusedConvolution<TShape>.RunForward(x, w, bits),
                (x, w, dy, bits) => FusedConvolution<TShape>.RunBackward(x, w, dy, bits),
                FusedConvolution<TShape>.WhyNotFused, FusedConvolution<TShape>.CreateState);

        /// <summary>The reference of the same convolution: lightweight for <c>[heads, K]</c> weights, dynamic for <c>[batch, seq, heads, K]</c>.</summary>
        public Tensor Reference(Tensor x, Tensor w) =>
            w.dim() == 2 ? ConvolutionReference.Lightweight(x, w, Causal) : ConvolutionReference.Dynamic(x, w, Causal);

        /// <summary>The fused path of the same convolution.</summary>
        public Tensor Fused(Tensor x, Tensor w) => w.dim() == 2 ? Lightweight(x, w, null) : Dynamic(x, w);
    }

    internal static readonly Dictionary<string, Shape> Shapes = new[]
    {
        Shape.Of<Causal1>(), Shape.Of<Causal3>(), Shape.Of<Centred3>(), Shape.Of<Causal4>(), Shape.Of<Centred4>(),
        Shape.Of<Causal5>(), Shape.Of<Centred5>(), Shape.Of<Causal7>(), Shape.Of<Centred7>(),
        Shape.Of<Causal15>(), Shape.Of<Centred15>(), Shape.Of<Causal31>(), Shape.Of<Centred31>(),
    }.ToDictionary(s => s.Name);

    /// <summary>x <c>[batch, seq, channels]</c> and normalised weights, <c>[heads, K]</c> (lightweight) or <c>[batch, seq, heads, K]</c> (dynamic).</summary>
    internal static (Tensor Input, Tensor Weights) Inputs(bool dynamic, int batch, int seq, int channels, int heads, int kernelSize, ScalarType dtype, int seed)
    {
        var generator = new Generator((ulong)seed);
        var input = randn(new long[] { batch, seq, channels }, dtype, generator: generator);
        long[] weightShape = dynamic ? [batch, seq, heads, kernelSize] : [heads, kernelSize];
        // Logits spread enough that the taps differ clearly, so a tap read from the wrong position shows.
        var weights = (2 * randn(weightShape, dtype, generator: generator)).softmax(-1);
        return (input, weights);
    }

    // The output and the gradients of sum(output ⊙ upstream) with respect to x and the weights.
    internal static (Tensor Output, Tensor InputGradient, Tensor WeightGradient) OutputAndGradients(Func<Tensor, Tensor, Tensor> convolution,
        Tensor input, Tensor weights, Tensor upstream)
    {
        var x = input.detach().requires_grad_();
        var w = weights.detach().requires_grad_();
        using var enabled = enable_grad();
        var output = convolution(x, w);
        (output * upstream).sum().backward();
        return (output.detach(), x.grad!, w.grad!);
    }

    internal static void AssertClose(Tensor expected, Tensor actual, string what, double tolerance)
    {
        Assert.Equal(expected.shape, actual.shape);
        var scale = Math.Max(1.0, expected.abs().max().to(float64).item<double>());
        var error = (expected.to(float64) - actual.to(float64)).abs().max().item<double>();
        Assert.True(error <= tolerance * scale, $"{what}: largest difference {error:E3} exceeds {tolerance * scale:E3}");
    }

    /// <summary>
    /// The gradients autograd gives a float64 loss of (x, w), against central finite differences at every element (keep
    /// the tensors small).
    /// </summary>
    internal static void AssertGradientsMatchFiniteDifferences(Func<Tensor, Tensor, Tensor> loss, Tensor input, Tensor weights)
    {
        var x = input.detach().clone().requires_grad_();
        var w = weights.detach().clone().requires_grad_();
        using (enable_grad())
            loss(x, w).backward();
        var analytic = new[] { x.grad!, w.grad! };
        const double step = 1e-6;
        var inputs = new[] { x, w };
        using var noGrad = no_grad();
        for (int which = 0; which < 2; which++)
        {
            var flat = inputs[which].view(-1);
            var numeric = zeros_like(flat);
            for (long i = 0; i < flat.numel(); i++)
            {
                double original = flat[i].item<double>();
                flat[i] = original + step;
                double plus = loss(x, w).item<double>();
                flat[i] = original - step;
                double minus = loss(x, w).item<double>();
                flat[i] = original;
                numeric[i] = (plus - minus) / (2 * step);
            }
            var error = (analytic[which].view(-1) - numeric).abs().max().item<double>();
            Assert.True(error < 1e-7, $"{(which == 0 ? "input" : "weight")} gradient: largest difference from finite differences {error:E2}");
            Assert.True(analytic[which].abs().max().item<double>() > 1e-3, "the gradient is all but zero, so the comparison would prove nothing");
        }
    }
}
