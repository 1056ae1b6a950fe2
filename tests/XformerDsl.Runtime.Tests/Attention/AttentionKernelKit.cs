using TorchSharp;
using XformerDsl.Attention.Full;
using XformerDsl.Autograd;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Attention;

/// <summary>What the kernel tests of every attention family share: a kernel's entry points, inputs, and comparisons.</summary>
internal static class AttentionKernelKit
{

    internal sealed record KernelCase(
        string Name, int HeadDim, bool Causal,
        Func<Tensor, Tensor, Tensor, Tensor?, Tensor> Apply,
        Func<Tensor, Tensor, Tensor, Tensor?, int, (Tensor, Tensor)> Forward,
        Func<Tensor, Tensor, Tensor, Tensor, Tensor, Tensor?, Tensor, int, (Tensor, Tensor, Tensor)> Backward,
        Func<Tensor, Tensor, Tensor, Tensor?, string?> WhyNotFused)
    {
        public static KernelCase Of<TKernel>(string name, bool causal) where TKernel : IFusedAttentionKernel =>
            new(name, TKernel.HeadDim, causal, FusedAttention<TKernel>.Apply, FusedAttention<TKernel>.RunForward,
                FusedAttention<TKernel>.RunBackward, FusedAttention<TKernel>.WhyNotFused);
    }

    internal static (Tensor Query, Tensor Key, Tensor Value) Inputs(int batch, int heads, int seq, int headDim, ScalarType dtype, int seed)
    {
        manual_seed(seed);
        return (randn(batch, heads, seq, headDim, dtype: dtype).requires_grad_(),
                randn(batch, heads, seq, headDim, dtype: dtype).requires_grad_(),
                randn(batch, heads, seq, headDim, dtype: dtype).requires_grad_());
    }

    // Each sequence keeps a random prefix-free set of real tokens, at least its first.
    internal static Tensor RandomPadding(int batch, int seq, int seed)
    {
        manual_seed(seed + 1000);
        var mask = rand(batch, seq) > 0.25;
        mask[.., 0] = true;
        return mask;
    }

    // The gradient flowing into the attention output, [batch, heads, queries, headDim]; drawn once per comparison and
    // passed to both sides, so they differentiate the same loss.
    internal static Tensor Upstream(Tensor query)
    {
        var generator = new torch.Generator(99);
        return randn(query.shape, dtype: query.dtype, generator: generator);
    }

    // The output and the gradients of sum(output ⊙ upstream) with respect to query, key and value.
    internal static (Tensor Output, Tensor[] Gradients) OutputAndGradients(Func<Tensor, Tensor, Tensor, Tensor?, Tensor> attention,
        Tensor query, Tensor key, Tensor value, Tensor? mask, Tensor upstream)
    {
        var q = query.detach().requires_grad_();
        var k = key.detach().requires_grad_();
        var v = value.detach().requires_grad_();
        using var enabled = enable_grad();
        var output = attention(q, k, v, mask);
        (output * upstream).sum().backward();
        return (output.detach(), [q.grad!, k.grad!, v.grad!]);
    }

    // The kernel's output and query, key and value gradients against the bidirectional reference on the same inputs and
    // upstream gradient: how the kernels whose queries and keys differ in length (cross, low-rank, inducing points) are checked.
    internal static void AssertMatchesBidirectionalReference(KernelCase kernel, Tensor query, Tensor key, Tensor value, Tensor? mask)
    {
        var upstream = Upstream(query);
        var (fused, fusedGradients) = OutputAndGradients(kernel.Apply, query, key, value, mask, upstream);
        var (reference, referenceGradients) = OutputAndGradients(
            (q, k, v, m) => FullAttentionReference.Forward(q, k, v, causal: false, m), query, key, value, mask, upstream);

        AssertClose(reference, fused, "output");
        for (int i = 0; i < 3; i++)
            AssertClose(referenceGradients[i], fusedGradients[i], GradientName(i));
    }

    internal static void AssertClose(Tensor expected, Tensor actual, string what, double tolerance = 1e-4)
    {
        Assert.Equal(expected.shape, actual.shape);
        var scale = Math.Max(1.0, expected.abs().max().to(float64).item<double>());
        var error = (expected.to(float64) - actual.to(float64)).abs().max().item<double>();
        Assert.True(error <= tolerance * scale, $"{what}: largest difference {error:E3} exceeds {tolerance * scale:E3}");
    }

    // The gradients autograd gives a float64 loss of (query, key, value), against central finite differences.
    internal static void AssertGradientsMatchFiniteDifferences(Func<Tensor, Tensor, Tensor, Tensor> loss, Tensor query, Tensor key, Tensor value) =>
        AssertGradientsMatchFiniteDifferences(inputs => loss(inputs[0], inputs[1], inputs[2]), GradientName, query, key, value);

    // The gradients autograd gives a float64 loss of any inputs, against central finite differences; name(i) names input i's gradient.
    internal static void AssertGradientsMatchFiniteDifferences(Func<Tensor[], Tensor> loss, Func<int, string> name, params Tensor[] inputs)
    {
        loss(inputs).backward();
        var analytic = inputs.Select(input => input.grad!).ToArray();

        const double step = 1e-6;
        using var noGrad = no_grad();
        for (int which = 0; which < inputs.Length; which++)
        {
            var flat = inputs[which].view(-1);
            var numeric = zeros_like(flat);
            for (long i = 0; i < flat.numel(); i++)
            {
                double original = flat[i].item<double>();
                flat[i] = original + step;
                double plus = loss(inputs).item<double>();
                flat[i] = original - step;
                double minus = loss(inputs).item<double>();
                flat[i] = original;
                numeric[i] = (plus - minus) / (2 * step);
            }
            var error = (analytic[which].view(-1) - numeric).abs().max().item<double>();
            Assert.True(error < 1e-7, $"{name(which)}: largest difference from finite differences {error:E2}");
        }
    }

    internal static string GradientName(int index) => index switch { 0 => "query gradient", 1 => "key gradient", _ => "value gradient" };
}
