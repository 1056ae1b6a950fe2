using TorchSharp;
using XformerDsl.Attention.Full;
using XformerDsl.Autograd;
using Xunit;
using static TorchSharp.torch;
using static XformerDsl.Tests.Attention.AttentionKernelKit;

namespace XformerDsl.Tests.Attention.Full;

/// <summary>
/// The generated fused kernels of full attention against independent references: the attention composed from TorchSharp
/// ops (values and gradients), libtorch's scaled_dot_product_attention, and float64 finite differences; plus what users
/// rely on at the edges: lengths that are not a multiple of the tile, batches, padding that hides every key, huge
/// logits, head-split views, every SIMD width, and the reference path for what the kernels do not serve.
/// </summary>
public class FullAttentionKernelTests
{
    private static readonly Dictionary<string, KernelCase> s_kernels = new[]
    {
        KernelCase.Of<CausalHead64.SelfAttention.Kernel>(nameof(CausalHead64), CausalHead64.Spec.Causal),
        KernelCase.Of<BidirectionalHead64.SelfAttention.Kernel>(nameof(BidirectionalHead64), BidirectionalHead64.Spec.Causal),
        KernelCase.Of<CausalHead24.SelfAttention.Kernel>(nameof(CausalHead24), CausalHead24.Spec.Causal),
        KernelCase.Of<BidirectionalHead80.SelfAttention.Kernel>(nameof(BidirectionalHead80), BidirectionalHead80.Spec.Causal),
        KernelCase.Of<CausalHead128.SelfAttention.Kernel>(nameof(CausalHead128), CausalHead128.Spec.Causal),
        KernelCase.Of<CausalHead8Short.SelfAttention.Kernel>(nameof(CausalHead8Short), CausalHead8Short.Spec.Causal),
        KernelCase.Of<BidirectionalHead8Short.SelfAttention.Kernel>(nameof(BidirectionalHead8Short), BidirectionalHead8Short.Spec.Causal),
    }.ToDictionary(k => k.Name);

    public static TheoryData<string, int, int, int, bool> ReferenceCases() => new()
    {
        // kernel, batch, heads, seq, masked
        { nameof(CausalHead64), 1, 1, 1, false },
        { nameof(CausalHead64), 2, 3, 65, true },
        { nameof(CausalHead64), 1, 2, 200, false },
        { nameof(BidirectionalHead64), 2, 2, 64, false },
        { nameof(BidirectionalHead64), 2, 1, 131, true },
        { nameof(CausalHead24), 3, 2, 97, true },
        { nameof(BidirectionalHead80), 1, 2, 70, true },
        { nameof(CausalHead128), 2, 1, 129, false },
        { nameof(CausalHead8Short), 2, 2, 40, true },
        { nameof(BidirectionalHead8Short), 3, 1, 33, false },
    };

    [Theory]
    [MemberData(nameof(ReferenceCases))]
    public void Output_and_gradients_match_the_composed_reference(string kernel, int batch, int heads, int seq, bool masked)
    {
        var k = s_kernels[kernel];
        using var scope = NewDisposeScope();
        var (query, key, value) = Inputs(batch, heads, seq, k.HeadDim, float32, seed: seq);
        var mask = masked ? RandomPadding(batch, seq, seed: seq) : null;

        var upstream = Upstream(query);

        var (fused, fusedGradients) = OutputAndGradients(k.Apply, query, key, value, mask, upstream);
        var (reference, referenceGradients) = OutputAndGradients(
            (q, kk, v, m) => FullAttentionReference.Forward(q, kk, v, k.Causal, m), query, key, value, mask, upstream);

        AssertClose(reference, fused, "output");
        for (int i = 0; i < 3; i++)
            AssertClose(referenceGradients[i], fusedGradients[i], GradientName(i));
    }

    [Theory]
    [InlineData(nameof(CausalHead64), 2, 4, 150)]
    [InlineData(nameof(BidirectionalHead64), 1, 3, 257)]
    [InlineData(nameof(CausalHead128), 1, 2, 100)]
    public void Output_and_gradients_match_scaled_dot_product_attention(string kernel, int batch, int heads, int seq)
    {
        var k = s_kernels[kernel];
        using var scope = NewDisposeScope();
        var (query, key, value) = Inputs(batch, heads, seq, k.HeadDim, float32, seed: 5);

        var upstream = Upstream(query);

        var (fused, fusedGradients) = OutputAndGradients(k.Apply, query, key, value, null, upstream);
        var (sdpa, sdpaGradients) = OutputAndGradients(
            (q, kk, v, _) => nn.functional.scaled_dot_product_attention(q, kk, v, is_casual: k.Causal), query, key, value, null, upstream);

        AssertClose(sdpa, fused, "output");
        for (int i = 0; i < 3; i++)
            AssertClose(sdpaGradients[i], fusedGradients[i], GradientName(i));
    }

    [Theory]
    [InlineData(nameof(CausalHead8Short), 9)]
    [InlineData(nameof(BidirectionalHead8Short), 7)]
    [InlineData(nameof(CausalHead24), 5)]
    public void Gradients_match_float64_finite_differences(string kernel, int seq)
    {
        var k = s_kernels[kernel];
        using var scope = NewDisposeScope();
        var (query, key, value) = Inputs(2, 2, seq, k.HeadDim, float64, seed: 17);
        // One key of the second sequence is padding, so the check covers the mask too.
        var mask = ones(2, seq, dtype: @bool);
        mask[1, seq - 2] = false;
        manual_seed(3);
        var weights = randn(2, 2, seq, k.HeadDim, dtype: float64);
        Tensor Loss(Tensor q, Tensor kk, Tensor v) => (k.Apply(q, kk, v, mask) * weights).sum();

        AssertGradientsMatchFiniteDifferences(Loss, query, key, value);
    }

    [Theory]
    [InlineData(nameof(CausalHead64), 512)]
    [InlineData(nameof(CausalHead64), 256)]
    [InlineData(nameof(CausalHead64), 128)]
    [InlineData(nameof(BidirectionalHead80), 256)]
    [InlineData(nameof(BidirectionalHead80), 128)]
    [InlineData(nameof(CausalHead24), 128)]
    public void Every_simd_width_computes_the_same_attention(string kernel, int vectorBits)
    {
        var k = s_kernels[kernel];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (query, key, value) = Inputs(2, 2, 83, k.HeadDim, float64, seed: 23);
        var mask = RandomPadding(2, 83, seed: 4);
        manual_seed(8);
        var outputGradient = randn(2, 2, 83, k.HeadDim, dtype: float64);

        var (output, logSumExp) = k.Forward(query, key, value, mask, vectorBits);
        var (dq, dk, dv) = k.Backward(query, key, value, output, logSumExp, mask, outputGradient.transpose(1, 2), vectorBits);
        var (reference, referenceGradients) = OutputAndGradients(
            (q, kk, v, m) => FullAttentionReference.Forward(q, kk, v, k.Causal, m), query, key, value, mask, outputGradient);

        AssertClose(reference, output.transpose(1, 2), "output", tolerance: 1e-10);
        AssertClose(referenceGradients[0], dq, "query gradient", tolerance: 1e-10);
        AssertClose(referenceGradients[1], dk, "key gradient", tolerance: 1e-10);
        AssertClose(referenceGradients[2], dv, "value gradient", tolerance: 1e-10);
    }

    [Theory]
    [InlineData(nameof(CausalHead64))]
    [InlineData(nameof(BidirectionalHead64))]
    public void A_query_that_sees_no_key_gets_zeros_and_zero_gradients_not_nan(string kernel)
    {
        var k = s_kernels[kernel];
        using var scope = NewDisposeScope();
        var (query, key, value) = Inputs(2, 2, 70, k.HeadDim, float32, seed: 9);
        // The second sequence is all padding; in the first, key 0 is padding, so a causal query 0 sees nothing either.
        var mask = ones(2, 70, dtype: @bool);
        mask[1] = false;
        mask[0, 0] = false;

        var (output, gradients) = OutputAndGradients(k.Apply, query, key, value, mask, Upstream(query));

        Assert.False(output.isnan().any().item<bool>(), "NaN in the output");
        Assert.Equal(0.0, output[1].abs().max().item<float>());
        if (k.Causal)
            Assert.Equal(0.0, output[0, .., 0].abs().max().item<float>());
        foreach (var gradient in gradients)
            Assert.True(gradient.isfinite().all().item<bool>(), "a gradient is not finite");
        Assert.Equal(0.0, gradients[0][1].abs().max().item<float>());
    }

    [Fact]
    public void Huge_logits_stay_finite_and_match_the_reference()
    {
        var k = s_kernels[nameof(CausalHead64)];
        using var scope = NewDisposeScope();
        var (query, key, value) = Inputs(1, 2, 100, k.HeadDim, float32, seed: 12);
        using (no_grad())
        {
            query.mul_(300);   // scores in the thousands: exp overflows unless the softmax subtracts the maximum
            key.mul_(30);
        }

        var (fused, fusedGradients) = OutputAndGradients(k.Apply, query, key, value, null, Upstream(query));
        var (reference, _) = OutputAndGradients((q, kk, v, m) => FullAttentionReference.Forward(q, kk, v, true, m), query, key, value, null, Upstream(query));

        Assert.True(fused.isfinite().all().item<bool>(), "the output is not finite");
        Assert.True(fusedGradients.All(g => g.isfinite().all().item<bool>()), "a gradient is not finite");
        AssertClose(reference, fused, "output", tolerance: 1e-3);
    }

    [Fact]
    public void Head_split_views_are_read_in_place_and_give_the_same_result()
    {
        var k = s_kernels[nameof(CausalHead64)];
        using var scope = NewDisposeScope();
        manual_seed(21);
        // As SelfAttention makes them: [batch, seq, heads·headDim] projections viewed as [batch, heads, seq, headDim].
        Tensor Split(Tensor x) => x.view(2, 90, 3, 64).transpose(1, 2);
        var q = Split(randn(2, 90, 192));
        var kk = Split(randn(2, 90, 192));
        var v = Split(randn(2, 90, 192));
        Assert.False(q.is_contiguous());

        using var noGrad = no_grad();
        var fromViews = k.Apply(q, kk, v, null);
        var fromCopies = k.Apply(q.contiguous(), kk.contiguous(), v.contiguous(), null);

        Assert.True(fromViews.eq(fromCopies).all().item<bool>(), "the view and the copy gave different results");
        // The output is laid out [batch, seq, heads, headDim], so merging the heads needs no copy.
        Assert.True(fromViews.transpose(1, 2).is_contiguous());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(6)]
    public void A_deep_backward_pass_holds_the_gradient_handles_of_one_layer_at_a_time(int layers)
    {
        // The incoming and returned gradients of a fused node (and views its glue made) are handles in the scope current
        // during backward(), the caller's step; a node that left them there kept every layer's gradients alive until the
        // step ended. They must go once the layer below has run, the last node's three returned gradients excepted, and
        // releasing them early must not change a gradient.
        var k = s_kernels[nameof(CausalHead64)];
        using var scope = NewDisposeScope();
        manual_seed(layers);
        var x = randn(1, 2, 70, 64).requires_grad_();
        var h = x;
        for (int layer = 0; layer < layers; layer++)
            h = k.Apply(h, h * 0.5, h * 0.25, null);
        var loss = h.square().sum();
        int before = scope.DisposablesCount;

        loss.backward();

        Assert.Equal(3, scope.DisposablesCount - before);
        var composed = x.detach().clone().requires_grad_();
        var r = composed;
        for (int layer = 0; layer < layers; layer++)
            r = FullAttentionReference.Forward(r, r * 0.5, r * 0.25, causal: true);
        r.square().sum().backward();
        AssertClose(composed.grad!, x.grad!, "input gradient");
    }

    [Fact]
    public void Inference_without_gradients_gives_the_autograd_result()
    {
        var k = s_kernels[nameof(CausalHead24)];
        using var scope = NewDisposeScope();
        var (query, key, value) = Inputs(2, 2, 50, k.HeadDim, float32, seed: 31);

        var withGradients = k.Apply(query, key, value, null);
        Tensor withoutGradients;
        using (no_grad())
            withoutGradients = k.Apply(query, key, value, null);

        Assert.True(withGradients.requires_grad);
        Assert.False(withoutGradients.requires_grad);
        Assert.True(withGradients.detach().eq(withoutGradients).all().item<bool>());
    }

    [Fact]
    public void Dtypes_the_kernel_does_not_serve_take_the_reference_path()
    {
        var k = s_kernels[nameof(CausalHead64)];
        using var scope = NewDisposeScope();
        var (query, key, value) = Inputs(1, 2, 20, k.HeadDim, float32, seed: 2);
        var (q16, k16, v16) = (query.detach().to(bfloat16), key.detach().to(bfloat16), value.detach().to(bfloat16));

        Assert.Contains("BFloat16", k.WhyNotFused(q16, k16, v16, null));
        Assert.Null(k.WhyNotFused(query, key, value, null));
        var output = k.Apply(q16, k16, v16, null);

        Assert.Equal(ScalarType.BFloat16, output.dtype);
        AssertClose(FullAttentionReference.Forward(q16, k16, v16, true).to(float32), output.to(float32), "output", tolerance: 1e-2);
    }

    [Fact]
    public void A_head_size_other_than_the_kernels_fails_with_the_shapes()
    {
        var k = s_kernels[nameof(CausalHead64)];
        using var scope = NewDisposeScope();
        var (query, key, value) = Inputs(1, 2, 10, 32, float32, seed: 1);

        var error = Assert.Throws<ArgumentException>(() => k.Apply(query, key, value, null));

        Assert.Contains("head size 64", error.Message);
        Assert.Contains("[1, 2, 10, 32]", error.Message);
    }
}
