using TorchSharp;
using XformerDsl.Attention.Linear;
using XformerDsl.Autograd;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Attention.Linear;

/// <summary>
/// The generated fused linear attention kernels against independent references: the attention composed from TorchSharp
/// ops (values and gradients; causal and bidirectional; lengths that are not a multiple of the chunk; batches; padding),
/// float64 finite differences, every SIMD width, queries that attend nothing, and the reference path for what the
/// kernels do not serve.
/// </summary>
public class LinearAttentionKernelTests
{
    private static readonly Dictionary<string, KernelCase> s_kernels = new[]
    {
        KernelCase.Of<CausalLinearHead64.SelfAttention.Kernel>(nameof(CausalLinearHead64)),
        KernelCase.Of<BidirectionalLinearHead64.SelfAttention.Kernel>(nameof(BidirectionalLinearHead64)),
        KernelCase.Of<CausalFavorHead16.SelfAttention.Kernel>(nameof(CausalFavorHead16)),
        KernelCase.Of<BidirectionalT2RHead24.SelfAttention.Kernel>(nameof(BidirectionalT2RHead24)),
        KernelCase.Of<CausalT2RHead8Short.SelfAttention.Kernel>(nameof(CausalT2RHead8Short)),
    }.ToDictionary(k => k.Name);

    public static TheoryData<string, int, int, int, bool> ReferenceCases() => new()
    {
        // kernel, batch, heads, seq, masked
        { nameof(CausalLinearHead64), 1, 1, 1, false },
        { nameof(CausalLinearHead64), 2, 3, 65, true },
        { nameof(CausalLinearHead64), 1, 2, 200, false },
        { nameof(BidirectionalLinearHead64), 2, 2, 64, false },
        { nameof(BidirectionalLinearHead64), 2, 1, 131, true },
        { nameof(CausalFavorHead16), 3, 2, 97, true },
        { nameof(BidirectionalT2RHead24), 1, 2, 70, true },
        { nameof(CausalT2RHead8Short), 2, 2, 40, true },
        { nameof(CausalT2RHead8Short), 1, 1, 33, false },
    };

    [Theory]
    [MemberData(nameof(ReferenceCases))]
    public void Output_and_gradients_match_the_composed_reference(string kernel, int batch, int heads, int seq, bool masked)
    {
        var k = s_kernels[kernel];
        using var scope = NewDisposeScope();
        var (featureQuery, featureKey, value) = Inputs(batch, heads, seq, k, float32, seed: seq);
        var mask = masked ? RandomPadding(batch, seq, seed: seq) : null;
        var upstream = randn(value.shape, dtype: float32, generator: new Generator(99));

        var (fused, fusedGradients) = OutputAndGradients(k.Apply, featureQuery, featureKey, value, mask, upstream);
        var (reference, referenceGradients) = OutputAndGradients(
            (q, kk, v, m) => LinearAttentionReference.Forward(q, kk, v, k.Causal, m), featureQuery, featureKey, value, mask, upstream);

        AssertClose(reference, fused, "output");
        for (int i = 0; i < 3; i++)
            AssertClose(referenceGradients[i], fusedGradients[i], GradientName(i));
    }

    [Theory]
    [InlineData(nameof(CausalT2RHead8Short), 37)]
    [InlineData(nameof(BidirectionalT2RHead24), 7)]
    public void Gradients_match_float64_finite_differences(string kernel, int seq)
    {
        var k = s_kernels[kernel];
        using var scope = NewDisposeScope();
        var (featureQuery, featureKey, value) = Inputs(2, 1, seq, k, float64, seed: 17);
        // One key of the second sequence is padding, so the check covers the mask too.
        var mask = ones(2, seq, dtype: @bool);
        mask[1, seq - 2] = false;
        var weights = randn(value.shape, dtype: float64, generator: new Generator(3));
        Tensor Loss(Tensor q, Tensor kk, Tensor v) => (k.Apply(q, kk, v, mask) * weights).sum();

        Loss(featureQuery, featureKey, value).backward();
        var analytic = new[] { featureQuery.grad!, featureKey.grad!, value.grad! };

        const double step = 1e-6;
        var inputs = new[] { featureQuery, featureKey, value };
        using var noGrad = no_grad();
        for (int which = 0; which < 3; which++)
        {
            var flat = inputs[which].view(-1);
            var numeric = zeros_like(flat);
            // Every element of a short sequence; a spread of elements (all chunks, both sequences) of a long one.
            long stride = Math.Max(1, flat.numel() / 150);
            var checkedAt = new List<long>();
            for (long i = 0; i < flat.numel(); i += stride)
            {
                double original = flat[i].item<double>();
                flat[i] = original + step;
                double plus = Loss(featureQuery, featureKey, value).item<double>();
                flat[i] = original - step;
                double minus = Loss(featureQuery, featureKey, value).item<double>();
                flat[i] = original;
                numeric[i] = (plus - minus) / (2 * step);
                checkedAt.Add(i);
            }
            var at = tensor(checkedAt.ToArray());
            var error = (analytic[which].view(-1).index_select(0, at) - numeric.index_select(0, at)).abs().max().item<double>();
            Assert.True(error < 1e-7, $"{GradientName(which)}: largest difference from finite differences {error:E2}");
        }
    }

    [Theory]
    [InlineData(nameof(CausalLinearHead64), 512)]
    [InlineData(nameof(CausalLinearHead64), 256)]
    [InlineData(nameof(CausalLinearHead64), 128)]
    [InlineData(nameof(BidirectionalT2RHead24), 256)]
    [InlineData(nameof(CausalFavorHead16), 128)]
    public void Every_simd_width_computes_the_same_attention(string kernel, int vectorBits)
    {
        var k = s_kernels[kernel];
        using var scope = NewDisposeScope();
        var (featureQuery, featureKey, value) = Inputs(2, 2, 83, k, float64, seed: 4);
        var mask = RandomPadding(2, 83, seed: 4);
        var upstream = randn(value.shape, dtype: float64, generator: new Generator(5));

        var (output, normaliser) = k.Forward(featureQuery.detach(), featureKey.detach(), value.detach(), mask, vectorBits);
        var (dq, dk, dv) = k.Backward(featureQuery.detach(), featureKey.detach(), value.detach(), output, normaliser, mask, upstream, vectorBits);
        var (reference, referenceGradients) = OutputAndGradients(
            (q, kk, v, m) => LinearAttentionReference.Forward(q, kk, v, k.Causal, m), featureQuery, featureKey, value, mask, upstream);

        AssertClose(reference, output, "output", tolerance: 1e-10);
        AssertClose(referenceGradients[0], dq, GradientName(0), tolerance: 1e-10);
        AssertClose(referenceGradients[1], dk, GradientName(1), tolerance: 1e-10);
        AssertClose(referenceGradients[2], dv, GradientName(2), tolerance: 1e-10);
    }

    [Fact]
    public void A_query_whose_normaliser_is_zero_gets_zeros_and_the_references_gradients()
    {
        var k = s_kernels[nameof(CausalT2RHead8Short)];
        using var scope = NewDisposeScope();
        var (featureQuery, featureKey, value) = Inputs(1, 1, 9, k, float64, seed: 8);
        using (no_grad())
        {
            featureQuery[0, 0, 4] = 0.0;           // relu features that are all zero
            featureKey[0, 0, TensorIndex.Slice(0, 3)] = 0.0;   // so queries 0..2 see only zero features
        }
        var upstream = randn(value.shape, dtype: float64, generator: new Generator(1));

        var (fused, fusedGradients) = OutputAndGradients(k.Apply, featureQuery, featureKey, value, null, upstream);
        var (reference, referenceGradients) = OutputAndGradients(
            (q, kk, v, m) => LinearAttentionReference.Forward(q, kk, v, k.Causal, m), featureQuery, featureKey, value, null, upstream);

        Assert.Equal(0.0, fused[0, 0, TensorIndex.Slice(0, 3)].abs().sum().item<double>());
        Assert.Equal(0.0, fused[0, 0, 4].abs().sum().item<double>());
        AssertClose(reference, fused, "output", tolerance: 1e-10);
        for (int i = 0; i < 3; i++)
            AssertClose(referenceGradients[i], fusedGradients[i], GradientName(i), tolerance: 1e-10);
    }

    [Fact]
    public void Tensors_the_kernel_does_not_serve_take_the_reference_path_and_wrong_sizes_fail_with_the_shapes()
    {
        var k = s_kernels[nameof(CausalFavorHead16)];
        using var scope = NewDisposeScope();
        var (featureQuery, featureKey, value) = Inputs(1, 1, 5, k, float64, seed: 2);
        Assert.Null(k.WhyNotFused(featureQuery, featureKey, value, null));
        Assert.Contains("float32 and float64", k.WhyNotFused(featureQuery.to(bfloat16), featureKey.to(bfloat16), value.to(bfloat16), null));
        var half = k.Apply(featureQuery.to(bfloat16), featureKey.to(bfloat16), value.to(bfloat16), null);
        Assert.Equal(bfloat16, half.dtype);

        var error = Assert.Throws<ArgumentException>(() => k.Apply(featureQuery[.., .., .., ..8], featureKey[.., .., .., ..8], value, null));
        Assert.Contains("24 features and head size 16", error.Message);
        Assert.Contains("[1, 1, 5, 8]", error.Message);
    }

    private sealed record KernelCase(string Name, int HeadDim, int Features, bool Causal,
        Func<Tensor, Tensor, Tensor, Tensor?, Tensor> Apply,
        Func<Tensor, Tensor, Tensor, Tensor?, int, (Tensor, Tensor)> Forward,
        Func<Tensor, Tensor, Tensor, Tensor, Tensor, Tensor?, Tensor, int, (Tensor, Tensor, Tensor)> Backward,
        Func<Tensor, Tensor, Tensor, Tensor?, string?> WhyNotFused)
    {
        public static KernelCase Of<TKernel>(string name) where TKernel : IFusedLinearAttentionKernel =>
            new(name, TKernel.HeadDim, TKernel.Features, TKernel.Causal, FusedLinearAttention<TKernel>.Apply, FusedLinearAttention<TKernel>.RunForward,
                FusedLinearAttention<TKernel>.RunBackward, FusedLinearAttention<TKernel>.WhyNotFused);
    }

    // Non-negative features as every feature map gives, kept away from 0 so finite differences stay on one side of it.
    private static (Tensor FeatureQuery, Tensor FeatureKey, Tensor Value) Inputs(int batch, int heads, int seq, KernelCase k, ScalarType dtype, int seed)
    {
        var generator = new Generator((ulong)seed);
        return (((rand(new long[] { batch, heads, seq, k.Features }, dtype, generator: generator) + 0.05) / k.Features).requires_grad_(),
                ((rand(new long[] { batch, heads, seq, k.Features }, dtype, generator: generator) + 0.05)).requires_grad_(),
                randn(new long[] { batch, heads, seq, k.HeadDim }, dtype, generator: generator).requires_grad_());
    }

    // Each sequence keeps a random set of real tokens, at least its first.
    private static Tensor RandomPadding(int batch, int seq, int seed)
    {
        var mask = rand(new long[] { batch, seq }, generator: new Generator((ulong)seed + 1000)) > 0.25;
        mask[.., 0] = true;
        return mask;
    }

    // The output and the gradients of sum(output ⊙ upstream) with respect to φ(Q), φ(K) and V.
    private static (Tensor Output, Tensor[] Gradients) OutputAndGradients(Func<Tensor, Tensor, Tensor, Tensor?, Tensor> attention,
        Tensor featureQuery, Tensor featureKey, Tensor value, Tensor? mask, Tensor upstream)
    {
        var q = featureQuery.detach().requires_grad_();
        var k = featureKey.detach().requires_grad_();
        var v = value.detach().requires_grad_();
        using var enabled = enable_grad();
        var output = attention(q, k, v, mask);
        (output * upstream).sum().backward();
        return (output.detach(), [q.grad!, k.grad!, v.grad!]);
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what, double tolerance = 1e-4)
    {
        Assert.Equal(expected.shape, actual.shape);
        var scale = Math.Max(1.0, expected.abs().max().to(float64).item<double>());
        var error = (expected.to(float64) - actual.to(float64)).abs().max().item<double>();
        Assert.True(error <= tolerance * scale, $"{what}: largest difference {error:E3} exceeds {tolerance * scale:E3}");
    }

    private static string GradientName(int index) => index switch { 0 => "φ(q) gradient", 1 => "φ(k) gradient", _ => "value gradient" };
}
