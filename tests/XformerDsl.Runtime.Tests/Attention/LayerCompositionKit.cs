using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Attention;

/// <summary>
/// What the layer tests of the families with a composed oracle share: weights drawn far from their initialisation, and
/// a layer's output, input gradient and every parameter gradient checked against a composition of TorchSharp ops from
/// the layer's named parameters, in float64.
/// </summary>
internal static class LayerCompositionKit
{
    /// <summary>Every parameter of <paramref name="module"/> drawn from N(0, 0.5²), so no weight sits at its initial value.</summary>
    internal static void Randomise(nn.Module module, int seed)
    {
        manual_seed(seed);
        using var noGrad = no_grad();
        foreach (var parameter in module.parameters())
            parameter.copy_(randn_like(parameter) * 0.5);
    }

    /// <summary>The parameters of <paramref name="module"/> by name, for a composition to read.</summary>
    internal static Dictionary<string, Tensor> NamedParameters(nn.Module module) =>
        module.named_parameters().ToDictionary(x => x.name, x => (Tensor)x.parameter);

    /// <summary>
    /// Asserts that <paramref name="layer"/> and <paramref name="composed"/> agree on <paramref name="x"/> in value
    /// and in the gradients of <c>sum(output ⊙ upstream)</c> with respect to the input and every parameter of
    /// <paramref name="module"/>.
    /// </summary>
    /// <param name="what">Names the case in failure messages.</param>
    /// <param name="module">The layer's module, whose parameters <paramref name="composed"/> reads.</param>
    /// <param name="layer">The layer's forward on an input.</param>
    /// <param name="composed">The oracle on an input.</param>
    /// <param name="x">The input.</param>
    /// <param name="upstream">The gradient flowing into the output.</param>
    /// <param name="compared">Null to compare every output, or a multiplier broadcast over the outputs (1 for the positions that mean something).</param>
    internal static void AssertLayerMatchesComposition(string what, nn.Module module, Func<Tensor, Tensor> layer, Func<Tensor, Tensor> composed,
        Tensor x, Tensor upstream, Tensor? compared = null)
    {
        var inputForLayer = x.detach().requires_grad_();
        var actual = layer(inputForLayer);
        (actual * upstream).sum().backward();
        var parameterGradients = module.named_parameters().ToDictionary(q => q.name, q => q.parameter.grad!.clone());
        foreach (var parameter in module.parameters())
            parameter.grad = null;

        var inputForComposition = x.detach().requires_grad_();
        var expected = composed(inputForComposition);
        (expected * upstream).sum().backward();

        var (expectedCompared, actualCompared) = compared is null ? (expected, actual) : (expected * compared, actual * compared);
        Assert.True(allclose(expectedCompared.detach(), actualCompared.detach(), rtol: 1e-9, atol: 1e-11), $"{what}: output differs");
        Assert.True(allclose(inputForComposition.grad!, inputForLayer.grad!, rtol: 1e-9, atol: 1e-11), $"{what}: input gradient differs");
        foreach (var (name, parameter) in module.named_parameters())
            Assert.True(allclose(parameter.grad!, parameterGradients[name], rtol: 1e-9, atol: 1e-11), $"{what}: gradient of {name} differs");
    }
}
