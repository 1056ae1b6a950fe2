using TorchSharp;
using TorchSharp.Modules;
using XformerDsl.Autograd;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Models;

/// <summary>
/// <see cref="FusedFeedForward"/>, the feed-forward network as one autograd node, against the same network composed
/// from <c>Linear</c>, <c>functional.gelu</c> or <c>relu</c> and <c>Linear</c>: output and the gradients of x and of
/// every weight and bias, in float64 and float32, with and without biases, across SIMD tails and several tasks.
/// </summary>
public sealed class FusedFeedForwardTests
{
    public static TheoryData<Activation, bool, long, long, long> Cases => new()
    {
        // activation, biases, tokens, width, hidden: hidden 20 and 9 leave SIMD tails; 300 × 300 spans two tasks of the
        // GELU derivative; 1,100 tokens of hidden 2,048 run in several blocks of rows, the last one partial.
        { Activation.Gelu, true, 7, 6, 20 },
        { Activation.Gelu, false, 7, 6, 9 },
        { Activation.Relu, true, 7, 6, 20 },
        { Activation.Relu, false, 5, 4, 9 },
        { Activation.Gelu, true, 300, 8, 300 },
        { Activation.Gelu, true, 1100, 8, 2048 },
        { Activation.Relu, false, 1100, 8, 2048 },
    };

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    public void Eleven_hundred_tokens_of_hidden_2048_take_several_blocks_the_last_one_partial(int elementSize)
    {
        long block = FusedFeedForward.TokensPerBlock(2048, elementSize);
        Assert.True(block < 1100 && 1100 % block != 0, $"{block} tokens per block: the block cases above would not test blocks.");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float64_output_and_every_gradient_equal_the_composed_network(Activation activation, bool biases, long tokens, long width, long hidden) =>
        CompareWithComposition(float64, activation, biases, tokens, width, hidden, rtol: 1e-10, atol: 1e-12);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float32_output_and_every_gradient_equal_the_composed_network(Activation activation, bool biases, long tokens, long width, long hidden) =>
        CompareWithComposition(float32, activation, biases, tokens, width, hidden, rtol: 1e-4, atol: 1e-5);

    [Fact]
    public void The_gelu_derivative_matches_a_float64_finite_difference()
    {
        using var scope = NewDisposeScope();
        var (up, down) = Network(float64, biases: true, width: 3, hidden: 11, seed: 4);
        // Pre-activations across GELU's curved part, both signs and the tails.
        var x = linspace(-2.5, 2.5, 3 * 5, dtype: float64).reshape(1, 5, 3).requires_grad_(true);
        var weight = randn(new[] { 1L, 5, 3 }, dtype: float64, generator: new torch.Generator(9));
        (FusedFeedForward.Apply(x, up, down, Activation.Gelu) * weight).sum().backward();
        var analytic = x.grad!.clone();
        const double step = 1e-6;
        using var noGrad = no_grad();
        var flat = x.detach().clone();
        for (int i = 0; i < flat.numel(); i++)
        {
            var plus = flat.clone(); plus.view(-1)[i] += step;
            var minus = flat.clone(); minus.view(-1)[i] -= step;
            double numeric = ((FusedFeedForward.Apply(plus, up, down, Activation.Gelu) * weight).sum().item<double>()
                - (FusedFeedForward.Apply(minus, up, down, Activation.Gelu) * weight).sum().item<double>()) / (2 * step);
            double got = analytic.view(-1)[i].item<double>();
            Assert.True(Math.Abs(got - numeric) <= 1e-7 + 1e-6 * Math.Abs(numeric), $"d/dx[{i}]: {got:R} against {numeric:R} by finite differences.");
        }
    }

    [Fact]
    public void Without_gradients_the_output_equals_the_composed_network_and_records_nothing()
    {
        using var scope = NewDisposeScope();
        var (up, down) = Network(float32, biases: true, width: 6, hidden: 20, seed: 2);
        var x = randn(new[] { 2L, 7, 6 }, generator: new torch.Generator(3)).requires_grad_(true);
        using var noGrad = no_grad();
        var fused = FusedFeedForward.Apply(x, up, down, Activation.Gelu);
        Assert.False(fused.requires_grad);
        Assert.True(fused.allclose(FusedFeedForward.Composed(x, up, down, Activation.Gelu), rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void A_second_backward_through_a_retained_graph_gives_the_same_gradients()
    {
        using var scope = NewDisposeScope();
        var (up, down) = Network(float64, biases: true, width: 4, hidden: 12, seed: 6);
        var x = randn(new[] { 3L, 4 }, dtype: float64, generator: new torch.Generator(7)).requires_grad_(true);
        var output = FusedFeedForward.Apply(x, up, down, Activation.Gelu).sum();
        var first = torch.autograd.grad([output], [x, up.weight!], retain_graph: true);
        var second = torch.autograd.grad([output], [x, up.weight!]);
        Assert.True(first[0].eq(second[0]).all().item<bool>() && first[1].eq(second[1]).all().item<bool>(), "the backward pass changed what it saved");
    }

    [Fact]
    public void Non_contiguous_input_and_a_frozen_input_are_served()
    {
        using var scope = NewDisposeScope();
        var (up, down) = Network(float64, biases: true, width: 5, hidden: 10, seed: 8);
        var x = randn(new[] { 5L, 3, 2 }, dtype: float64, generator: new torch.Generator(1)).transpose(0, 2);   // [2, 3, 5], strided
        var fused = FusedFeedForward.Apply(x, up, down, Activation.Relu);
        var composed = FusedFeedForward.Composed(x, up, down, Activation.Relu);
        Assert.True(fused.allclose(composed, rtol: 1e-12, atol: 1e-14));
        var fusedGrad = torch.autograd.grad([fused.sum()], [down.weight!])[0];
        var composedGrad = torch.autograd.grad([composed.sum()], [down.weight!])[0];
        Assert.True(fusedGrad.allclose(composedGrad, rtol: 1e-12, atol: 1e-14));
    }

    [Fact]
    public void Dtypes_the_node_does_not_serve_take_the_composed_network()
    {
        using var scope = NewDisposeScope();
        var (up, down) = Network(bfloat16, biases: true, width: 4, hidden: 8, seed: 3);
        var x = randn(new[] { 3L, 4 }, dtype: bfloat16, generator: new torch.Generator(2));
        Assert.Contains("bfloat16", FusedFeedForward.WhyNotFused(x, up, down), StringComparison.OrdinalIgnoreCase);
        Assert.True(FusedFeedForward.Apply(x, up, down, Activation.Gelu).eq(FusedFeedForward.Composed(x, up, down, Activation.Gelu)).all().item<bool>());
    }

    [Fact]
    public void Widths_that_disagree_and_a_gated_activation_are_refused_with_the_shapes()
    {
        using var scope = NewDisposeScope();
        var (up, down) = Network(float32, biases: true, width: 4, hidden: 8, seed: 1);
        var wrong = Assert.Throws<ArgumentException>(() => FusedFeedForward.Apply(zeros(2, 5), up, down, Activation.Gelu));
        Assert.Contains("[2, 5]", wrong.Message);
        Assert.Contains("must be 4", wrong.Message);
        var gated = Assert.Throws<ArgumentException>(() => FusedFeedForward.Apply(zeros(2, 4), up, down, Activation.SwiGlu));
        Assert.Contains("SwiGlu", gated.Message);
    }

    private static void CompareWithComposition(ScalarType dtype, Activation activation, bool biases, long tokens, long width, long hidden, double rtol, double atol)
    {
        using var scope = NewDisposeScope();
        var (up, down) = Network(dtype, biases, width, hidden, seed: 11);
        var generator = new torch.Generator(12);
        var x = randn(new[] { 1L, tokens, width }, dtype: dtype, generator: generator).requires_grad_(true);
        var outputGradient = randn(new[] { 1L, tokens, width }, dtype: dtype, generator: generator);
        Tensor[] parameters = [x, .. new[] { up.weight, up.bias, down.weight, down.bias }.OfType<Tensor>()];

        var fused = FusedFeedForward.Apply(x, up, down, activation);
        var fusedGradients = torch.autograd.grad([fused], parameters, [outputGradient]);
        var composed = FusedFeedForward.Composed(x, up, down, activation);
        var composedGradients = torch.autograd.grad([composed], parameters, [outputGradient]);

        Assert.True(fused.allclose(composed, rtol, atol), $"output differs by {(fused - composed).abs().max().ToDouble():E2}");
        string[] names = ["x", .. new[] { ("up.weight", up.weight), ("up.bias", up.bias), ("down.weight", down.weight), ("down.bias", down.bias) }
            .Where(p => p.Item2 is not null).Select(p => p.Item1)];
        for (int i = 0; i < parameters.Length; i++)
            Assert.True(fusedGradients[i].allclose(composedGradients[i], rtol, atol),
                $"gradient of {names[i]} differs by {(fusedGradients[i] - composedGradients[i]).abs().max().ToDouble():E2}");
    }

    private static (Linear Up, Linear Down) Network(ScalarType dtype, bool biases, long width, long hidden, int seed)
    {
        torch.manual_seed(seed);
        var up = nn.Linear(width, hidden, hasBias: biases, dtype: dtype);
        var down = nn.Linear(hidden, width, hasBias: biases, dtype: dtype);
        return (up, down);
    }
}
