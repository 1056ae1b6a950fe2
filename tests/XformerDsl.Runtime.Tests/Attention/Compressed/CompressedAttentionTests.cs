using TorchSharp;
using XformerDsl.Attention.Compressed;
using XformerDsl.Attention.Full;
using XformerDsl.Modules;
using XformerDsl.Specs;
using XformerDsl.Tests.Models;
using Xunit;
using static TorchSharp.torch;
using static XformerDsl.Tests.Attention.LayerCompositionKit;
using static XformerDsl.Tests.Attention.AttentionKernelKit;

namespace XformerDsl.Tests.Attention.Compressed;

/// <summary>
/// The generated memory-compressed attention against a composition written here slot by slot from its own named
/// parameters (values and gradients); with Ratio 1 and identity filters it is full attention; its causal kernel against
/// the reference and float64 finite differences; causality, padding and the card's count.
/// </summary>
public class CompressedAttentionTests
{
    private static readonly Dictionary<string, KernelCase> s_kernels = new[]
    {
        KernelCase.Of<TinyConvCompressedLm.SelfAttention.Kernel>(nameof(TinyConvCompressedLm), causal: true),
        KernelCase.Of<TinyCompressedLm.CompressedAttentionLayer.Kernel>(nameof(TinyCompressedLm), causal: true),
    }.ToDictionary(k => k.Name);

    private static readonly Dictionary<string, int> s_ratios = new()
    {
        [nameof(TinyConvCompressedLm)] = 3,
        [nameof(TinyCompressedLm)] = 4,
    };

    private sealed record LayerCase(nn.Module Module, Func<Tensor, Tensor?, Tensor> Forward, int Heads, int Ratio, bool Convolution, bool Causal);

    private static LayerCase Layer(string model) => model switch
    {
        nameof(TinyCompressedClassifier) => Wrap(new TinyCompressedClassifier.SelfAttention(), (l, x, m) => l.forward(x, m), 2, 3, true, false),
        nameof(TinyConvCompressedLm) => Wrap(new TinyConvCompressedLm.SelfAttention(), (l, x, m) => l.forward(x, m), 2, 3, true, true),
        nameof(TinyCompressedLm) => Wrap(new TinyCompressedLm.CompressedAttentionLayer(), (l, x, m) => l.forward(x, m), 2, 4, false, true),
        nameof(TinyRatioOneEncoder) => Wrap(new TinyRatioOneEncoder.SelfAttention(), (l, x, m) => l.forward(x, m), 4, 1, true, false),
        _ => throw new ArgumentException(model),
    };

    private static LayerCase Wrap<T>(T layer, Func<T, Tensor, Tensor?, Tensor> forward, int heads, int ratio, bool convolution, bool causal)
        where T : nn.Module
    {
        layer.to(float64);
        return new LayerCase(layer, (x, m) => forward(layer, x, m), heads, ratio, convolution, causal);
    }

    // One slot of one head, as the paper's strided convolution reads it: Σ over the slot's positions t (zero past the
    // end and where padded) of W[:, :, t] · row, plus the bias; or the mean of the slot's real rows.
    private static Tensor Slot(Dictionary<string, Tensor> p, string filter, Tensor rows, Tensor? real, int head, int slot, LayerCase layer)
    {
        long batch = rows.shape[0], seq = rows.shape[2];
        int headDim = (int)rows.shape[3];
        var sum = zeros(batch, headDim, dtype: rows.dtype);
        var count = zeros(batch, 1, dtype: rows.dtype);
        for (int t = 0; t < layer.Ratio; t++)
        {
            long position = (long)slot * layer.Ratio + t;
            if (position >= seq)
                break;
            var row = rows[.., head, position, ..];                                             // [batch, headDim]
            var isReal = real is null ? ones(batch, 1, dtype: rows.dtype) : real[.., position].to(rows.dtype).unsqueeze(1);
            row = row * isReal;
            count = count + isReal;
            if (layer.Convolution)
            {
                var weight = p[filter + ".weight"][(head * headDim)..((head + 1) * headDim), .., t];   // [out, in]
                sum = sum + matmul(row, weight.t());
            }
            else
                sum = sum + row;
        }
        if (!layer.Convolution)
            return sum / count.clamp_min(1.0);
        return p.TryGetValue(filter + ".bias", out var bias) ? sum + bias[(head * headDim)..((head + 1) * headDim)] : sum;
    }

    private static Tensor Compress(Dictionary<string, Tensor> p, string filter, Tensor rows, Tensor? real, LayerCase layer)
    {
        long seq = rows.shape[2];
        int slots = (int)((seq + layer.Ratio - 1) / layer.Ratio);
        var heads = Enumerable.Range(0, layer.Heads)
            .Select(h => stack(Enumerable.Range(0, slots).Select(s => Slot(p, filter, rows, real, h, s, layer)).ToArray(), 1));
        return stack(heads.ToArray(), 1);                                                       // [batch, heads, slots, headDim]
    }

    // The layer from its parameters by name, slot by slot, with the visibility of each (query, key) pair written out.
    private static Tensor Composed(Dictionary<string, Tensor> p, Tensor x, Tensor? mask, LayerCase layer)
    {
        long batch = x.shape[0], seq = x.shape[1], dim = x.shape[2];
        long headDim = dim / layer.Heads;
        Tensor Heads(string projection) => nn.functional.linear(x, p[projection + ".weight"], p.GetValueOrDefault(projection + ".bias"))
            .view(batch, seq, layer.Heads, headDim).transpose(1, 2);
        var (q, k, v) = (Heads("q_proj"), Heads("k_proj"), Heads("v_proj"));
        var keys = Compress(p, "k_compress", k, mask, layer);
        var values = Compress(p, "v_compress", v, mask, layer);
        long slots = keys.shape[2];
        int first = layer.Causal ? 1 : 0;
        var visible = ones(batch, 1, seq, first + slots, dtype: @bool);
        for (long s = 0; s < slots; s++)
        {
            for (long i = 0; i < seq; i++)
                if (layer.Causal && (s + 1) * layer.Ratio - 1 > i)   // the slot's last position is after query i
                    visible[.., .., i, first + s] = false;
            if (mask is not null)
                for (long b = 0; b < batch; b++)
                    if (!mask[b, (int)(s * layer.Ratio)..(int)Math.Min(seq, (s + 1) * layer.Ratio)].any().item<bool>())
                        visible[b, .., .., first + s] = false;
        }
        if (layer.Causal)
        {
            keys = cat([p["null_key"].view(1, layer.Heads, 1, headDim).expand(batch, -1, -1, -1), keys], 2);
            values = cat([p["null_value"].view(1, layer.Heads, 1, headDim).expand(batch, -1, -1, -1), values], 2);
        }
        var scores = matmul(q, keys.transpose(2, 3)) / Math.Sqrt(headDim);
        var weights = scores.masked_fill(visible.logical_not(), double.NegativeInfinity).softmax(-1).nan_to_num(0.0);
        var attended = matmul(weights, values);
        return nn.functional.linear(attended.transpose(1, 2).reshape(batch, seq, dim), p["out_proj.weight"], p.GetValueOrDefault("out_proj.bias"));
    }

    public static TheoryData<string, int, int, bool> LayerCases() => new()
    {
        // model, batch, seq, padded
        { nameof(TinyCompressedClassifier), 2, 9, true },
        { nameof(TinyCompressedClassifier), 3, 11, false },
        { nameof(TinyCompressedClassifier), 1, 1, false },
        { nameof(TinyConvCompressedLm), 2, 13, true },
        { nameof(TinyConvCompressedLm), 1, 2, false },
        { nameof(TinyCompressedLm), 2, 23, true },
        { nameof(TinyCompressedLm), 3, 8, false },
    };

    [Theory]
    [MemberData(nameof(LayerCases))]
    public void Layer_output_and_gradients_equal_the_slot_by_slot_composition(string model, int batch, int seq, bool padded)
    {
        var layer = Layer(model);
        Randomise(layer.Module, seed: 3 + seq);
        var p = layer.Module.named_parameters().ToDictionary(x => x.name, x => (Tensor)x.parameter);
        manual_seed(11);
        var x = randn(batch, seq, layer.Module is TinyConvCompressedLm.SelfAttention ? 32 : 16, dtype: float64);
        Tensor? mask = null;
        if (padded)
        {
            mask = ones(batch, seq, dtype: @bool);
            mask[batch - 1, (seq - 5)..] = false;
        }
        var upstream = randn_like(x);

        AssertLayerMatchesComposition(model, layer.Module, input => layer.Forward(input, mask), input => Composed(p, input, mask, layer), x, upstream);
    }

    [Fact]
    public void With_ratio_1_and_identity_filters_it_is_full_attention()
    {
        var layer = Layer(nameof(TinyRatioOneEncoder));
        Randomise(layer.Module, seed: 5);
        using (no_grad())
            foreach (var (name, parameter) in layer.Module.named_parameters().Where(p => p.name.EndsWith("_compress.weight", StringComparison.Ordinal)))
                parameter.copy_(eye(4, dtype: float64).repeat(4, 1).unsqueeze(-1));   // [16, 4, 1]: each head's channels unchanged
        var p = layer.Module.named_parameters().ToDictionary(x => x.name, x => (Tensor)x.parameter);
        manual_seed(12);
        var x = randn(2, 12, 16, dtype: float64);

        Tensor HeadsOf(string projection) => nn.functional.linear(x, p[projection + ".weight"]).view(2, 12, 4, 4).transpose(1, 2);
        var full = FullAttentionReference.Forward(HeadsOf("q_proj"), HeadsOf("k_proj"), HeadsOf("v_proj"), causal: false);
        var expected = nn.functional.linear(full.transpose(1, 2).reshape(2, 12, 16), p["out_proj.weight"]);

        Assert.True(allclose(expected, layer.Forward(x, null), rtol: 1e-10, atol: 1e-12), "identity filters differ from full attention");
    }

    public static TheoryData<string, int, int, bool> KernelCases() => new()
    {
        // kernel, batch, queries, padded: keys = 1 + ⌈queries / ratio⌉, several key and query tiles at 200 queries
        { nameof(TinyConvCompressedLm), 2, 200, true },
        { nameof(TinyConvCompressedLm), 1, 131, false },
        { nameof(TinyConvCompressedLm), 3, 5, true },
        { nameof(TinyCompressedLm), 2, 23, true },
        { nameof(TinyCompressedLm), 1, 3, false },
    };

    [Theory]
    [MemberData(nameof(KernelCases))]
    public void Causal_kernel_matches_the_reference(string kernel, int batch, int queries, bool padded)
    {
        var k = s_kernels[kernel];
        int ratio = s_ratios[kernel], keys = 1 + (queries + ratio - 1) / ratio;
        using var scope = NewDisposeScope();
        manual_seed(queries);
        var (query, key, value) = (randn(batch, 2, queries, k.HeadDim), randn(batch, 2, keys, k.HeadDim), randn(batch, 2, keys, k.HeadDim));
        var mask = padded ? RandomPadding(batch, keys, seed: queries) : null;   // the null key, key 0, stays visible
        var upstream = Upstream(query);

        var (fused, fusedGradients) = OutputAndGradients(k.Apply, query, key, value, mask, upstream);
        var (reference, referenceGradients) = OutputAndGradients(
            (q, kk, v, m) => CompressedAttentionReference.Forward(q, kk, v, ratio, m), query, key, value, mask, upstream);

        AssertClose(reference, fused, "output");
        for (int i = 0; i < 3; i++)
            AssertClose(referenceGradients[i], fusedGradients[i], GradientName(i));
    }

    [Theory]
    [InlineData(128)]
    [InlineData(256)]
    public void Causal_kernel_at_every_simd_width_matches_the_reference(int vectorBits)
    {
        var k = s_kernels[nameof(TinyConvCompressedLm)];
        const int queries = 197, ratio = 3, keys = 1 + (queries + ratio - 1) / ratio;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(23);
        var (query, key, value) = (randn(2, 2, queries, k.HeadDim, dtype: float64), randn(2, 2, keys, k.HeadDim, dtype: float64), randn(2, 2, keys, k.HeadDim, dtype: float64));
        var mask = RandomPadding(2, keys, seed: 4);
        var outputGradient = randn(2, 2, queries, k.HeadDim, dtype: float64, generator: new TorchSharp.torch.Generator(8));

        var (output, logSumExp) = k.Forward(query, key, value, mask, vectorBits);
        var (dq, dk, dv) = k.Backward(query, key, value, output, logSumExp, mask, outputGradient.transpose(1, 2), vectorBits);
        var (reference, referenceGradients) = OutputAndGradients(
            (q, kk, v, m) => CompressedAttentionReference.Forward(q, kk, v, ratio, m), query, key, value, mask, outputGradient);

        AssertClose(reference, output.transpose(1, 2), "output", tolerance: 1e-10);
        Tensor[] gradients = [dq, dk, dv];
        for (int i = 0; i < 3; i++)
            AssertClose(referenceGradients[i], gradients[i], GradientName(i), tolerance: 1e-10);
    }

    [Fact]
    public void Causal_kernel_gradients_match_float64_finite_differences()
    {
        var k = s_kernels[nameof(TinyCompressedLm)];
        using var scope = NewDisposeScope();
        manual_seed(17);
        var query = randn(2, 2, 10, k.HeadDim, dtype: float64).requires_grad_();
        var key = randn(2, 2, 4, k.HeadDim, dtype: float64).requires_grad_();
        var value = randn(2, 2, 4, k.HeadDim, dtype: float64).requires_grad_();
        var weights = randn(2, 2, 10, k.HeadDim, dtype: float64);
        Tensor Loss(Tensor q, Tensor kk, Tensor v) => (k.Apply(q, kk, v, null) * weights).sum();

        AssertGradientsMatchFiniteDifferences(Loss, query, key, value);
    }

    [Theory]
    [InlineData(nameof(TinyConvCompressedLm), 200, 131)]
    [InlineData(nameof(TinyConvCompressedLm), 61, 7)]
    [InlineData(nameof(TinyCompressedLm), 24, 13)]
    public void Changing_tokens_after_t_leaves_the_outputs_up_to_t_unchanged(string model, int seq, int cut)
    {
        using var lm = Create(model);
        var tokens = ModelTestKit.RandomTokens(2, seq, 16, seed: 31);
        var changed = tokens.clone();
        changed[.., cut..] = (tokens[.., cut..] + 1) % 16;
        var before = LanguageModel(lm, tokens, null);
        var after = LanguageModel(lm, changed, null);
        Assert.True(before[.., ..cut].allclose(after[.., ..cut], rtol: 1e-12, atol: 1e-12), $"changing positions from {cut} on changed an earlier output");
        Assert.False(before[.., cut..].allclose(after[.., cut..]), "changing the tokens changed nothing at all");
    }

    [Theory]
    [InlineData(nameof(TinyConvCompressedLm))]
    [InlineData(nameof(TinyCompressedLm))]
    public void Padded_tokens_do_not_influence_real_positions(string model)
    {
        using var lm = Create(model);
        var tokens = ModelTestKit.RandomTokens(2, 17, 16, seed: 5);
        var mask = ones(2, 17, dtype: @bool);
        mask[1, ..5] = false;   // left padding, the causal case that matters; it shares slots with real tokens
        var otherPadding = where(mask, tokens, (tokens + 1) % 16);
        var before = LanguageModel(lm, tokens, mask);
        var after = LanguageModel(lm, otherPadding, mask);
        Assert.True(before[1, 5..].allclose(after[1, 5..], rtol: 1e-12, atol: 1e-12), "real positions saw padded tokens");
    }

    [Fact]
    public void A_padded_batch_classifies_like_each_sequence_alone()
    {
        using var classifier = Create(nameof(TinyCompressedClassifier));
        var tokens = ModelTestKit.RandomTokens(2, 11, 16, seed: 22);
        var mask = ones(2, 11, dtype: @bool);
        mask[0, 7..] = false;   // 7 real tokens: slot 2 partial, slot 3 all padding
        var batched = ((TinyCompressedClassifier)classifier).forward(tokens, mask);
        var alone = ((TinyCompressedClassifier)classifier).forward(tokens[0..1, ..7], null);
        Assert.True(allclose(batched[0], alone[0], rtol: 1e-10, atol: 1e-12), "padding reached the real positions through the slots");
    }

    [Theory]
    [InlineData(3, 24, true)]
    [InlineData(3, 25, true)]
    [InlineData(4, 7, true)]
    [InlineData(1, 10, true)]
    [InlineData(5, 5, true)]
    [InlineData(3, 25, false)]
    [InlineData(8, 1, false)]
    public void Mixing_macs_count_the_keys_each_query_sees_and_the_convolution(int ratio, int length, bool causal)
    {
        const int dim = 32, heads = 4;
        int slots = (length + ratio - 1) / ratio;
        long keysSeen = 0;
        for (int query = 0; query < length; query++)
            keysSeen += causal ? 1 + Enumerable.Range(1, slots).Count(key => key * ratio - 1 <= query) : slots;
        long attending = 2L * dim * keysSeen / length;

        Assert.Equal(attending, new CompressedAttentionSpec(heads, ratio, MemoryCompression.MeanPool).MixingMacsPerToken(dim, length, causal));
        Assert.Equal(attending + 2L * dim * (dim / heads), new CompressedAttentionSpec(heads, ratio, MemoryCompression.Convolution).MixingMacsPerToken(dim, length, causal));
    }

    private static nn.Module Create(string model) => model switch
    {
        nameof(TinyCompressedClassifier) => ModelTestKit.Create(() => new TinyCompressedClassifier()),
        nameof(TinyConvCompressedLm) => ModelTestKit.Create(() => new TinyConvCompressedLm()),
        nameof(TinyCompressedLm) => ModelTestKit.Create(() => new TinyCompressedLm()),
        nameof(TinyRatioOneEncoder) => ModelTestKit.Create(() => new TinyRatioOneEncoder()),
        _ => throw new ArgumentException(model),
    };

    private static Tensor LanguageModel(nn.Module model, Tensor tokens, Tensor? mask) => model switch
    {
        TinyConvCompressedLm m => m.forward(tokens, mask),
        TinyCompressedLm m => m.forward(tokens, mask),
        _ => throw new ArgumentException(model.GetType().Name),
    };
}
