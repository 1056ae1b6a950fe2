using TorchSharp;
using XformerDsl.Modules;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Runtime.Tests.Models;

/// <summary>
/// <see cref="TokenLinear"/> is what every generated step's projections, feed-forward networks and output heads run
/// through: it must equal the layer's own forward, and hand anything it does not compute (gradients, many rows) back to it.
/// </summary>
public sealed class TokenLinearTests
{
    // Sizes off the vector width and off the four weight rows a pass takes (99 inputs, 203 outputs) exercise the tails.
    // The split across threads needs more than one: the test runner gives libtorch both cores of the machines here.
    [Theory]
    [InlineData(ScalarType.Float32, true, 1, 96, 200, 1e-5)]
    [InlineData(ScalarType.Float32, false, 3, 96, 200, 1e-5)]
    [InlineData(ScalarType.Float32, true, 2, 99, 203, 1e-5)]
    [InlineData(ScalarType.Float64, true, 2, 96, 200, 1e-12)]
    [InlineData(ScalarType.Float64, false, 1, 96, 200, 1e-12)]
    [InlineData(ScalarType.Float64, false, 3, 99, 203, 1e-12)]
    // From 256 × 256 weights the output columns are split across threads: slices of uneven length with a tail each.
    [InlineData(ScalarType.Float32, true, 1, 257, 301, 1e-5)]
    [InlineData(ScalarType.Float32, false, 3, 256, 1030, 1e-5)]
    [InlineData(ScalarType.Float64, true, 2, 1024, 259, 1e-12)]
    [InlineData(ScalarType.Float32, true, 2, 1024, 65, 1e-5)]
    public void Equals_the_layers_forward(ScalarType dtype, bool bias, int batch, int inputs, int outputs, double tolerance)
    {
        torch.manual_seed(1);
        using var layer = nn.Linear(inputs, outputs, hasBias: bias, dtype: dtype);
        using var noGrad = no_grad();
        var x = randn(new long[] { batch, 1, inputs }, dtype);
        var actual = TokenLinear.Forward(layer, x);
        Assert.Equal(new long[] { batch, 1, outputs }, actual.shape);
        Assert.Equal(dtype, actual.dtype);
        // The reference: the layer's forward, and the same product in float64.
        var expected = layer.forward(x);
        var exact = nn.functional.linear(x.to(ScalarType.Float64), layer.weight!.to(ScalarType.Float64), layer.bias?.to(ScalarType.Float64));
        double difference = (actual.to(ScalarType.Float64) - exact).abs().max().item<double>();
        double libtorchDifference = (expected.to(ScalarType.Float64) - exact).abs().max().item<double>();
        Assert.True(difference <= tolerance, $"max diff from the float64 product {difference} (the layer's forward: {libtorchDifference})");
    }

    [Fact]
    public void Reads_a_strided_input_and_a_weight_without_a_module()
    {
        torch.manual_seed(2);
        using var noGrad = no_grad();
        var weight = randn(64, 48);
        var bias = randn(64);
        // The second half of each row: a view whose rows are not contiguous, as Lite Transformer's step slices its input.
        var x = randn(2, 1, 96)[.., .., 48..];
        var expected = nn.functional.linear(x, weight, bias);
        Assert.True(TokenLinear.Forward(weight, bias, x).allclose(expected, rtol: 0, atol: 1e-5));
        Assert.True(TokenLinear.Forward(weight, null, x).allclose(nn.functional.linear(x, weight), rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void Hands_gradients_and_many_rows_to_the_layer()
    {
        torch.manual_seed(3);
        using var layer = nn.Linear(32, 16);
        var x = randn(new long[] { 1, 1, 32 }, requires_grad: true);
        var withGradient = TokenLinear.Forward(layer, x);
        Assert.True(withGradient.requires_grad);
        withGradient.sum().backward();
        Assert.True(x.grad is not null && layer.weight!.grad is not null);

        using var noGrad = no_grad();
        var many = randn(TokenLinear.MaxRows + 1, 32);
        Assert.True(TokenLinear.Forward(layer, many).allclose(layer.forward(many), rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void A_wrong_input_size_names_both_shapes()
    {
        using var layer = nn.Linear(32, 16);
        using var noGrad = no_grad();
        var error = Assert.Throws<ArgumentException>(() => TokenLinear.Forward(layer, zeros(1, 1, 31)));
        Assert.Contains("[16, 32]", error.Message);
        Assert.Contains("[1, 1, 31]", error.Message);
    }

    [Theory]
    [InlineData(ScalarType.Float32, 1e-6)]
    [InlineData(ScalarType.Float64, 1e-14)]
    public void Gelu_equals_the_functional_one_and_hands_gradients_to_it(ScalarType dtype, double tolerance)
    {
        torch.manual_seed(4);
        var x = randn(new long[] { 3, 1, 1000 }, dtype) * 4;
        using (no_grad())
        {
            var actual = TokenActivation.Gelu(x);
            // Relative to 1 + |x|: both round in float32, where |x| reaches about 16 here.
            double difference = ((actual - nn.functional.gelu(x)).abs() / (x.abs() + 1)).max().to(ScalarType.Float64).item<double>();
            Assert.True(difference <= tolerance, $"max diff from functional.gelu {difference} × (1 + |x|)");
        }
        var leaf = x.detach().requires_grad_(true);
        var withGradient = TokenActivation.Gelu(leaf);
        Assert.True(withGradient.requires_grad);
        withGradient.sum().backward();
        Assert.True(leaf.grad is not null);
    }

    // T2R's learned feature map: one weight per head, a step's one row per (sequence, head).
    [Theory]
    [InlineData(ScalarType.Float32, true, 1e-5)]
    [InlineData(ScalarType.Float64, false, 1e-12)]
    public void Per_head_product_equals_the_batched_product_and_hands_gradients_to_it(ScalarType dtype, bool bias, double tolerance)
    {
        torch.manual_seed(5);
        var weight = randn(new long[] { 3, 21, 19 }, dtype);
        var b = bias ? randn(new long[] { 3, 21 }, dtype) : null;
        var x = randn(new long[] { 2, 3, 1, 19 }, dtype);
        var expected = x.to(ScalarType.Float64).matmul(weight.to(ScalarType.Float64).transpose(-2, -1));
        if (b is not null)
            expected = expected + b.to(ScalarType.Float64).unsqueeze(1);
        using (no_grad())
        {
            var actual = TokenLinear.ForwardPerHead(weight, b, x);
            Assert.Equal(new long[] { 2, 3, 1, 21 }, actual.shape);
            double difference = (actual.to(ScalarType.Float64) - expected).abs().max().item<double>();
            Assert.True(difference <= tolerance, $"max diff from the float64 product {difference}");
        }
        var leaf = weight.detach().requires_grad_(true);
        TokenLinear.ForwardPerHead(leaf, b, x).sum().backward();
        Assert.True(leaf.grad is not null);
        var error = Assert.Throws<ArgumentException>(() => TokenLinear.ForwardPerHead(weight, b, zeros(new long[] { 2, 3, 1, 18 }, dtype)));
        Assert.Contains("[2, 3, 1, 18]", error.Message);
    }
}
