using TorchSharp;
using XformerDsl.Attention.Full;
using XformerDsl.Tests.Models;
using Xunit;
using static TorchSharp.torch;
using static XformerDsl.Tests.Attention.AttentionKernelKit;

namespace XformerDsl.Tests.Attention.Cross;

/// <summary>An encoder–decoder whose cross-attention has heads of 64, sources longer than targets.</summary>
[Transformer(Vocab = 8, Dim = 128, Depth = 1, MaxLength = 200)]
[Encoder(Depth = 1, MaxLength = 300, CrossAttentionHeads = 2)]
[FullAttention(Heads = 2)]
public partial class CrossHead64;

/// <summary>
/// The generated cross-attention kernels (queries from the target, keys and values from the encoder's output, of
/// another length, with the source padding as key padding) against the attention composed from TorchSharp ops, libtorch's
/// scaled_dot_product_attention and float64 finite differences.
/// </summary>
public class CrossAttentionKernelTests
{
    private static readonly Dictionary<string, KernelCase> s_kernels = new[]
    {
        KernelCase.Of<CrossHead64.Decoder.CrossAttention.Kernel>(nameof(CrossHead64), causal: false),
        KernelCase.Of<TinyTranslator.Decoder.CrossAttention.Kernel>(nameof(TinyTranslator), causal: false),
        KernelCase.Of<TinySharedTranslator.Decoder.CrossAttention.Kernel>(nameof(TinySharedTranslator), causal: false),
    }.ToDictionary(k => k.Name);

    // Queries [batch, heads, queries, headDim]; keys and values [batch, heads, keys, headDim].
    private static (Tensor Query, Tensor Key, Tensor Value) CrossInputs(int batch, int heads, int queries, int keys, int headDim, ScalarType dtype, int seed)
    {
        manual_seed(seed);
        return (randn(batch, heads, queries, headDim, dtype: dtype), randn(batch, heads, keys, headDim, dtype: dtype), randn(batch, heads, keys, headDim, dtype: dtype));
    }

    public static TheoryData<string, int, int, int, int, bool> ReferenceCases() => new()
    {
        // kernel, batch, heads, queries, keys, padded source
        { nameof(CrossHead64), 2, 2, 7, 130, true },
        { nameof(CrossHead64), 1, 2, 150, 9, false },
        { nameof(CrossHead64), 3, 1, 1, 300, true },
        { nameof(CrossHead64), 2, 2, 65, 64, true },
        { nameof(TinyTranslator), 3, 2, 10, 13, true },
        { nameof(TinyTranslator), 1, 2, 1, 1, false },
        { nameof(TinySharedTranslator), 2, 4, 9, 5, true },
    };

    [Theory]
    [MemberData(nameof(ReferenceCases))]
    public void Output_and_gradients_match_the_composed_reference(string kernel, int batch, int heads, int queries, int keys, bool padded)
    {
        var k = s_kernels[kernel];
        using var scope = NewDisposeScope();
        var (query, key, value) = CrossInputs(batch, heads, queries, keys, k.HeadDim, float32, seed: queries + keys);
        var mask = padded ? RandomPadding(batch, keys, seed: keys) : null;

        AssertMatchesBidirectionalReference(k, query, key, value, mask);
    }

    [Theory]
    [InlineData(2, 2, 37, 250)]
    [InlineData(1, 2, 200, 3)]
    public void Output_and_gradients_match_scaled_dot_product_attention_with_source_padding(int batch, int heads, int queries, int keys)
    {
        var k = s_kernels[nameof(CrossHead64)];
        using var scope = NewDisposeScope();
        var (query, key, value) = CrossInputs(batch, heads, queries, keys, k.HeadDim, float32, seed: 5);
        var mask = RandomPadding(batch, keys, seed: 6);
        var upstream = Upstream(query);

        var (fused, fusedGradients) = OutputAndGradients(k.Apply, query, key, value, mask, upstream);
        // SDPA's boolean mask: true where the query may attend, broadcast over heads and queries.
        var (sdpa, sdpaGradients) = OutputAndGradients(
            (q, kk, v, m) => nn.functional.scaled_dot_product_attention(q, kk, v, attn_mask: m!.view(batch, 1, 1, keys)), query, key, value, mask, upstream);

        AssertClose(sdpa, fused, "output");
        for (int i = 0; i < 3; i++)
            AssertClose(sdpaGradients[i], fusedGradients[i], GradientName(i));
    }

    [Theory]
    [InlineData(nameof(TinyTranslator), 3, 7)]
    [InlineData(nameof(TinySharedTranslator), 6, 2)]
    public void Gradients_match_float64_finite_differences(string kernel, int queries, int keys)
    {
        var k = s_kernels[kernel];
        using var scope = NewDisposeScope();
        var (query, key, value) = CrossInputs(2, 2, queries, keys, k.HeadDim, float64, seed: 17);
        query.requires_grad_();
        key.requires_grad_();
        value.requires_grad_();
        // The second source's last key is padding, so the check covers the mask too.
        var mask = ones(2, keys, dtype: @bool);
        mask[1, keys - 1] = false;
        manual_seed(3);
        var weights = randn(2, 2, queries, k.HeadDim, dtype: float64);
        Tensor Loss(Tensor q, Tensor kk, Tensor v) => (k.Apply(q, kk, v, mask) * weights).sum();

        AssertGradientsMatchFiniteDifferences(Loss, query, key, value);
    }

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    public void Every_simd_width_computes_the_same_cross_attention(int vectorBits)
    {
        var k = s_kernels[nameof(CrossHead64)];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (query, key, value) = CrossInputs(2, 2, 45, 83, k.HeadDim, float64, seed: 23);
        var mask = RandomPadding(2, 83, seed: 4);
        manual_seed(8);
        var outputGradient = randn(2, 2, 45, k.HeadDim, dtype: float64);

        var (output, logSumExp) = k.Forward(query, key, value, mask, vectorBits);
        var (dq, dk, dv) = k.Backward(query, key, value, output, logSumExp, mask, outputGradient.transpose(1, 2), vectorBits);
        var (reference, referenceGradients) = OutputAndGradients(
            (q, kk, v, m) => FullAttentionReference.Forward(q, kk, v, causal: false, m), query, key, value, mask, outputGradient);

        AssertClose(reference, output.transpose(1, 2), "output", tolerance: 1e-10);
        AssertClose(referenceGradients[0], dq, "query gradient", tolerance: 1e-10);
        AssertClose(referenceGradients[1], dk, "key gradient", tolerance: 1e-10);
        AssertClose(referenceGradients[2], dv, "value gradient", tolerance: 1e-10);
    }
}
