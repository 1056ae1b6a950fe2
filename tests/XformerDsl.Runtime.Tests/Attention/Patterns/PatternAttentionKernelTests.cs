using XformerDsl.Attention.Patterns;
using XformerDsl.Specs;
using Xunit;
using static TorchSharp.torch;
using static XformerDsl.Tests.Attention.AttentionKernelKit;

namespace XformerDsl.Tests.Attention.Patterns;

/// <summary>
/// The generated block-sparse kernels of the pattern families (local, sliding window, strided/fixed, BigBird) against the full reference
/// attention under the same pattern as a dense mask (values and gradients), float64 finite differences, and the
/// properties the patterns promise: locality (a token outside a query's pattern cannot change its output) and causality.
/// The kernels' layouts are the generator's compile-time constants; the masks here come from the spec's Sees at run time.
/// </summary>
public class PatternAttentionKernelTests
{
    private sealed record PatternCase(KernelCase Kernel, PatternAttentionSpec Pattern);

    private static PatternCase Of<TKernel>(string name, ModelSpec spec) where TKernel : XformerDsl.Autograd.IFusedAttentionKernel =>
        new(KernelCase.Of<TKernel>(name, spec.Causal), (PatternAttentionSpec)spec.Attention[0].Attention);

    private static readonly Dictionary<string, PatternCase> s_kernels = new[]
    {
        Of<LocalCausal.SelfAttention.Kernel>(nameof(LocalCausal), LocalCausal.Spec),
        Of<LocalBidirectional.SelfAttention.Kernel>(nameof(LocalBidirectional), LocalBidirectional.Spec),
        Of<LocalCausalShort.SelfAttention.Kernel>(nameof(LocalCausalShort), LocalCausalShort.Spec),
        Of<SlidingCausal.SelfAttention.Kernel>(nameof(SlidingCausal), SlidingCausal.Spec),
        Of<SlidingBidirectional.SelfAttention.Kernel>(nameof(SlidingBidirectional), SlidingBidirectional.Spec),
        Of<SlidingCausalPlain.SelfAttention.Kernel>(nameof(SlidingCausalPlain), SlidingCausalPlain.Spec),
        Of<SlidingBidirectionalShort.SelfAttention.Kernel>(nameof(SlidingBidirectionalShort), SlidingBidirectionalShort.Spec),
        Of<StridedCausal.SelfAttention.Kernel>(nameof(StridedCausal), StridedCausal.Spec),
        Of<FixedBidirectional.SelfAttention.Kernel>(nameof(FixedBidirectional), FixedBidirectional.Spec),
        Of<FixedCausalShort.SelfAttention.Kernel>(nameof(FixedCausalShort), FixedCausalShort.Spec),
        Of<BigBirdCausal.SelfAttention.Kernel>(nameof(BigBirdCausal), BigBirdCausal.Spec),
        Of<BigBirdBidirectional.SelfAttention.Kernel>(nameof(BigBirdBidirectional), BigBirdBidirectional.Spec),
    }.ToDictionary(k => k.Kernel.Name);

    private static Tensor Reference(PatternCase k, Tensor q, Tensor kk, Tensor v, Tensor? mask) =>
        PatternAttentionReference.Forward(q, kk, v, k.Pattern, k.Kernel.Causal, mask);

    public static TheoryData<string, int, int, int, bool> ReferenceCases() => new()
    {
        // kernel, batch, heads, seq, masked
        { nameof(LocalCausal), 2, 2, 256, true },
        { nameof(LocalCausal), 1, 2, 97, false },
        { nameof(LocalBidirectional), 2, 1, 288, false },
        { nameof(LocalBidirectional), 3, 1, 150, true },
        { nameof(SlidingCausal), 2, 2, 256, true },
        { nameof(SlidingCausal), 1, 2, 131, false },
        { nameof(SlidingBidirectional), 2, 1, 300, true },
        { nameof(SlidingBidirectional), 1, 1, 77, false },
        { nameof(SlidingCausalPlain), 2, 1, 256, false },
        { nameof(SlidingCausalPlain), 1, 1, 1, false },
        { nameof(SlidingBidirectionalShort), 3, 1, 40, true },
        { nameof(LocalCausalShort), 2, 1, 23, true },
        { nameof(StridedCausal), 2, 2, 256, true },
        { nameof(StridedCausal), 1, 1, 101, false },
        { nameof(FixedBidirectional), 2, 1, 200, true },
        { nameof(FixedBidirectional), 1, 1, 123, false },
        { nameof(BigBirdCausal), 2, 2, 480, true },
        { nameof(BigBirdCausal), 1, 1, 333, false },
        { nameof(BigBirdBidirectional), 2, 1, 96, true },
        { nameof(BigBirdBidirectional), 1, 1, 71, false },
    };

    [Theory]
    [MemberData(nameof(ReferenceCases))]
    public void Output_and_gradients_match_the_dense_mask_reference(string kernel, int batch, int heads, int seq, bool masked)
    {
        var k = s_kernels[kernel];
        using var scope = NewDisposeScope();
        var (query, key, value) = Inputs(batch, heads, seq, k.Kernel.HeadDim, float32, seed: seq + batch);
        var mask = masked ? RandomPadding(batch, seq, seed: seq) : null;
        var upstream = Upstream(query);

        var (fused, fusedGradients) = OutputAndGradients(k.Kernel.Apply, query, key, value, mask, upstream);
        var (reference, referenceGradients) = OutputAndGradients((q, kk, v, m) => Reference(k, q, kk, v, m), query, key, value, mask, upstream);

        AssertClose(reference, fused, "output");
        for (int i = 0; i < 3; i++)
            AssertClose(referenceGradients[i], fusedGradients[i], GradientName(i));
    }

    [Theory]
    [InlineData(nameof(LocalCausalShort), 13)]
    [InlineData(nameof(SlidingBidirectionalShort), 11)]
    [InlineData(nameof(FixedCausalShort), 12)]
    public void Gradients_match_float64_finite_differences(string kernel, int seq)
    {
        var k = s_kernels[kernel];
        using var scope = NewDisposeScope();
        var (query, key, value) = Inputs(2, 1, seq, k.Kernel.HeadDim, float64, seed: 41);
        var mask = ones(2, seq, dtype: @bool);
        mask[1, seq - 3] = false;
        var weights = randn(2, 1, seq, k.Kernel.HeadDim, dtype: float64, generator: new TorchSharp.torch.Generator(7));
        Tensor Loss(Tensor q, Tensor kk, Tensor v) => (k.Kernel.Apply(q, kk, v, mask) * weights).sum();

        AssertGradientsMatchFiniteDifferences(Loss, query, key, value);
    }

    [Theory]
    [InlineData(nameof(LocalCausal), 150, 200)]
    [InlineData(nameof(LocalBidirectional), 100, 250)]
    [InlineData(nameof(SlidingCausal), 150, 250)]
    [InlineData(nameof(SlidingBidirectional), 150, 240)]
    [InlineData(nameof(StridedCausal), 200, 256)]
    [InlineData(nameof(FixedBidirectional), 90, 200)]
    [InlineData(nameof(BigBirdCausal), 400, 480)]
    [InlineData(nameof(BigBirdBidirectional), 50, 96)]
    public void A_token_outside_a_querys_pattern_does_not_change_its_output(string kernel, int query, int seq)
    {
        var k = s_kernels[kernel];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (q, kk, v) = Inputs(1, 1, seq, k.Kernel.HeadDim, float32, seed: 3);
        var before = k.Kernel.Apply(q, kk, v, null)[.., .., query].clone();

        var outside = Enumerable.Range(0, seq).Where(key => !k.Pattern.Sees(query, key, k.Kernel.Causal)).ToList();
        var inside = Enumerable.Range(0, seq).Where(key => k.Pattern.Sees(query, key, k.Kernel.Causal)).ToList();
        Assert.NotEmpty(outside);
        Assert.NotEmpty(inside);
        var changedKeys = kk.clone();
        var changedValues = v.clone();
        foreach (int position in outside)
        {
            changedKeys[.., .., position] = changedKeys[.., .., position] * 3 + 1;
            changedValues[.., .., position] = changedValues[.., .., position] - 5;
        }
        var afterOutside = k.Kernel.Apply(q, changedKeys, changedValues, null)[.., .., query];
        Assert.True(before.eq(afterOutside).all().item<bool>(), $"query {query}: changing the {outside.Count} keys outside its pattern changed its output");

        var changedInside = v.clone();
        changedInside[.., .., inside[inside.Count / 2]] = changedInside[.., .., inside[inside.Count / 2]] - 5;
        var afterInside = k.Kernel.Apply(q, kk, changedInside, null)[.., .., query];
        Assert.False(before.eq(afterInside).all().item<bool>(), $"query {query}: changing key {inside[inside.Count / 2]} inside its pattern left its output unchanged");
    }

    [Theory]
    [InlineData(nameof(LocalCausal))]
    [InlineData(nameof(SlidingCausal))]
    [InlineData(nameof(SlidingCausalPlain))]
    [InlineData(nameof(StridedCausal))]
    [InlineData(nameof(BigBirdCausal))]
    public void Causal_kernels_never_see_the_future(string kernel)
    {
        var k = s_kernels[kernel];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        const int seq = 180, cut = 117;
        var (q, kk, v) = Inputs(2, 1, seq, k.Kernel.HeadDim, float32, seed: 13);
        var before = k.Kernel.Apply(q, kk, v, null)[.., .., ..cut];
        var (q2, k2, v2) = (q.clone(), kk.clone(), v.clone());
        foreach (var t in new[] { q2, k2, v2 })
            t[.., .., cut..] = randn(2, 1, seq - cut, k.Kernel.HeadDim, generator: new TorchSharp.torch.Generator(77));
        var after = k.Kernel.Apply(q2, k2, v2, null)[.., .., ..cut];
        Assert.True(before.eq(after).all().item<bool>(), "changing positions from 117 on changed an earlier output");
    }

    [Theory]
    [InlineData(nameof(SlidingCausal), 256)]
    [InlineData(nameof(LocalBidirectional), 128)]
    public void Every_simd_width_computes_the_same_attention(string kernel, int vectorBits)
    {
        var k = s_kernels[kernel];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (query, key, value) = Inputs(2, 1, 201, k.Kernel.HeadDim, float64, seed: 23);
        var mask = RandomPadding(2, 201, seed: 4);
        var outputGradient = randn(2, 1, 201, k.Kernel.HeadDim, dtype: float64, generator: new TorchSharp.torch.Generator(8));

        var (output, logSumExp) = k.Kernel.Forward(query, key, value, mask, vectorBits);
        var (dq, dk, dv) = k.Kernel.Backward(query, key, value, output, logSumExp, mask, outputGradient.transpose(1, 2), vectorBits);
        var (reference, referenceGradients) = OutputAndGradients((q, kk, v, m) => Reference(k, q, kk, v, m), query, key, value, mask, outputGradient);

        AssertClose(reference, output.transpose(1, 2), "output", tolerance: 1e-10);
        AssertClose(referenceGradients[0], dq, "query gradient", tolerance: 1e-10);
        AssertClose(referenceGradients[1], dk, "key gradient", tolerance: 1e-10);
        AssertClose(referenceGradients[2], dv, "value gradient", tolerance: 1e-10);
    }
}
