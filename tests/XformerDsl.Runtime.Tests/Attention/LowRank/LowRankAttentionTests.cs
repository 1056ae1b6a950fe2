using TorchSharp;
using XformerDsl.Attention.Full;
using XformerDsl.Modules;
using XformerDsl.Tests.Models;
using Xunit;
using static TorchSharp.torch;
using static XformerDsl.Tests.Attention.AttentionKernelKit;
using static XformerDsl.Tests.Attention.LayerCompositionKit;

namespace XformerDsl.Tests.Attention.LowRank;

/// <summary>
/// The generated low-rank attention (Linformer) against a composition of TorchSharp ops from its own named parameters,
/// values and gradients; with k = MaxLength and identity projections it is full attention; its kernel (queries and
/// projected keys of different lengths) against the reference and float64 finite differences; padding; the card's count;
/// a Linformer encoder under a stepping full-attention decoder.
/// </summary>
public class LowRankAttentionTests
{
    private static readonly Dictionary<string, KernelCase> s_kernels = new[]
    {
        KernelCase.Of<TinyLinformerClassifier.SelfAttention.Kernel>(nameof(TinyLinformerClassifier), causal: false),
        KernelCase.Of<TinyKeyValueLinformer.SelfAttention.Kernel>(nameof(TinyKeyValueLinformer), causal: false),
    }.ToDictionary(k => k.Name);

    // The layer as the paper defines it, from its parameters by name: padded rows of K and V zeroed, K and V projected along
    // the length by the first seq columns of E and F, softmax attention over the projected rows.
    private static Tensor Composed(Dictionary<string, Tensor> p, Tensor x, Tensor? mask, int heads, bool sharedKeyValue)
    {
        long batch = x.shape[0], seq = x.shape[1], dim = x.shape[2];
        long headDim = dim / heads;
        Tensor Heads(string projection) => nn.functional.linear(x, p[projection + ".weight"], p[projection + ".bias"])
            .view(batch, seq, heads, headDim).transpose(1, 2);
        var (q, k, v) = (Heads("q_proj"), Heads("k_proj"), Heads("v_proj"));
        if (mask is not null)
        {
            var real = mask.view(batch, 1, seq, 1).to(x.dtype);
            (k, v) = (k * real, v * real);
        }
        var e = (p.TryGetValue("e_proj", out var own) ? own : p["shared_e_proj"])[.., ..(int)seq];
        var f = sharedKeyValue ? e : p["f_proj"][.., ..(int)seq];
        var attended = FullAttentionReference.Forward(q, matmul(e, k), matmul(f, v), causal: false);
        return nn.functional.linear(attended.transpose(1, 2).reshape(batch, seq, dim), p["out_proj.weight"], p["out_proj.bias"]);
    }

    private static (nn.Module Module, Func<Tensor, Tensor?, Tensor> Forward, int Heads, bool Shared) Layer(string model) => model switch
    {
        nameof(TinyLinformerClassifier) => Wrap(new TinyLinformerClassifier.SelfAttention(), (l, x, m) => l.forward(x, m), 2, false),
        nameof(TinyKeyValueLinformer) => Wrap(new TinyKeyValueLinformer.SelfAttention(), (l, x, m) => l.forward(x, m), 4, true),
        _ => throw new ArgumentException(model),
    };

    private static (nn.Module, Func<Tensor, Tensor?, Tensor>, int, bool) Wrap<T>(T layer, Func<T, Tensor, Tensor?, Tensor> forward, int heads, bool shared)
        where T : nn.Module
    {
        layer.to(float64);
        return (layer, (x, m) => forward(layer, x, m), heads, shared);
    }

    public static TheoryData<string, int, int, bool> LayerCases() => new()
    {
        // model, batch, seq, padded
        { nameof(TinyLinformerClassifier), 2, 9, true },
        { nameof(TinyLinformerClassifier), 3, 12, false },
        { nameof(TinyLinformerClassifier), 1, 3, false },
        { nameof(TinyKeyValueLinformer), 2, 11, true },
        { nameof(TinyKeyValueLinformer), 1, 1, false },
    };

    [Theory]
    [MemberData(nameof(LayerCases))]
    public void Layer_output_and_gradients_equal_the_composed_projections_and_attention(string model, int batch, int seq, bool padded)
    {
        var (module, forward, heads, shared) = Layer(model);
        Randomise(module, seed: 3 + seq);
        var p = NamedParameters(module);
        manual_seed(11);
        var x = randn(batch, seq, 16, dtype: float64);
        Tensor? mask = null;
        if (padded)
        {
            mask = ones(batch, seq, dtype: @bool);
            mask[batch - 1, (seq - 3)..] = false;
        }
        var upstream = randn(batch, seq, 16, dtype: float64);

        AssertLayerMatchesComposition(model, module, input => forward(input, mask), input => Composed(p, input, mask, heads, shared), x, upstream);
    }

    [Fact]
    public void With_k_equal_to_MaxLength_and_identity_projections_it_is_full_attention()
    {
        var (module, forward, heads, _) = Layer(nameof(TinyKeyValueLinformer));
        Randomise(module, seed: 5);
        using (no_grad())
            module.named_parameters().Single(p => p.name == "e_proj").parameter.copy_(eye(12, dtype: float64));
        var p = NamedParameters(module);
        manual_seed(12);
        var x = randn(2, 12, 16, dtype: float64);

        Tensor HeadsOf(string projection) => nn.functional.linear(x, p[projection + ".weight"], p[projection + ".bias"]).view(2, 12, heads, 16 / heads).transpose(1, 2);
        var full = FullAttentionReference.Forward(HeadsOf("q_proj"), HeadsOf("k_proj"), HeadsOf("v_proj"), causal: false);
        var expected = nn.functional.linear(full.transpose(1, 2).reshape(2, 12, 16), p["out_proj.weight"], p["out_proj.bias"]);

        Assert.True(allclose(expected, forward(x, null), rtol: 1e-10, atol: 1e-12), "identity projections differ from full attention");
    }

    [Theory]
    [InlineData(nameof(TinyLinformerClassifier), 2, 12)]
    [InlineData(nameof(TinyLinformerClassifier), 3, 7)]
    [InlineData(nameof(TinyKeyValueLinformer), 2, 9)]
    public void Kernel_over_projected_keys_matches_the_reference(string kernel, int batch, int queries)
    {
        var k = s_kernels[kernel];
        int keys = kernel == nameof(TinyLinformerClassifier) ? 5 : 12;
        using var scope = NewDisposeScope();
        manual_seed(queries);
        var (query, key, value) = (randn(batch, 2, queries, k.HeadDim), randn(batch, 2, keys, k.HeadDim), randn(batch, 2, keys, k.HeadDim));

        AssertMatchesBidirectionalReference(k, query, key, value, null);
    }

    [Fact]
    public void Kernel_gradients_match_float64_finite_differences()
    {
        var k = s_kernels[nameof(TinyLinformerClassifier)];
        using var scope = NewDisposeScope();
        manual_seed(17);
        var query = randn(2, 2, 9, k.HeadDim, dtype: float64).requires_grad_();
        var key = randn(2, 2, 5, k.HeadDim, dtype: float64).requires_grad_();
        var value = randn(2, 2, 5, k.HeadDim, dtype: float64).requires_grad_();
        var weights = randn(2, 2, 9, k.HeadDim, dtype: float64);
        Tensor Loss(Tensor q, Tensor kk, Tensor v) => (k.Apply(q, kk, v, null) * weights).sum();

        AssertGradientsMatchFiniteDifferences(Loss, query, key, value);
    }

    [Theory]
    [InlineData(2, 9, true)]
    [InlineData(1, 12, false)]
    public void Layerwise_layer_reads_the_models_projection_for_keys_and_values_and_sends_it_its_gradient(int batch, int seq, bool padded)
    {
        manual_seed(31);
        var shared = (randn(5, 12, dtype: float64) * 0.5).requires_grad_();
        var layer = new TinyLayerwiseLinformer.LowRankAttentionLayer(() => shared);
        layer.to(float64);
        Randomise(layer, seed: 32);
        Assert.DoesNotContain(layer.named_parameters(), p => p.name.Contains("e_proj", StringComparison.Ordinal));
        var p = layer.named_parameters().ToDictionary(x => x.name, x => (Tensor)x.parameter);
        p["shared_e_proj"] = shared;
        var x = randn(batch, seq, 16, dtype: float64);
        Tensor? mask = null;
        if (padded)
        {
            mask = ones(batch, seq, dtype: @bool);
            mask[batch - 1, (seq - 3)..] = false;
        }
        var upstream = randn(batch, seq, 16, dtype: float64);

        (layer.forward(x, mask) * upstream).sum().backward();
        var actual = layer.forward(x, mask).detach();
        var sharedGradient = shared.grad!.clone();
        shared.grad = null;
        var expected = Composed(p, x, mask, heads: 2, sharedKeyValue: true);
        (expected * upstream).sum().backward();

        Assert.True(allclose(expected.detach(), actual, rtol: 1e-9, atol: 1e-11), "output differs");
        Assert.True(allclose(shared.grad!, sharedGradient, rtol: 1e-9, atol: 1e-11), "gradient of the shared projection differs");
    }

    [Fact]
    public void Layerwise_model_owns_one_projection_which_every_low_rank_layer_uses()
    {
        using var model = Create(nameof(TinyLayerwiseLinformer));
        var names = model.named_parameters().Select(p => p.name).ToList();
        Assert.Equal(new[] { "shared_e_proj" }, names.Where(n => n.Contains("e_proj", StringComparison.Ordinal) || n.Contains("f_proj", StringComparison.Ordinal)));
        var card = ModelCard.Of(((IDeclaredModel)model).Declaration);
        Assert.Equal(card.ParameterCount, model.parameters().Sum(p => p.numel()));

        // Layers 0 and 2 read it: each computes what the composition computes from its own projections and the model's E.
        Randomise(model, seed: 34);
        var shared = model.named_parameters().Single(p => p.name == "shared_e_proj").parameter;
        var x = randn(2, 10, 16, dtype: float64);
        foreach (int layer in new[] { 0, 2 })
        {
            var attention = (TinyLayerwiseLinformer.LowRankAttentionLayer)model.named_modules().Single(m => m.name == $"layers.{layer}.attn").module;
            var p = attention.named_parameters().ToDictionary(q => q.name, q => (Tensor)q.parameter);
            p["shared_e_proj"] = shared;
            using var noGrad = no_grad();
            Assert.True(allclose(Composed(p, x, null, heads: 2, sharedKeyValue: true), attention.forward(x, null), rtol: 1e-9, atol: 1e-11),
                $"layer {layer} does not project with the model's shared_e_proj");
        }
    }

    [Theory]
    [InlineData(nameof(TinyLinformerClassifier))]
    [InlineData(nameof(TinyKeyValueLinformer))]
    [InlineData(nameof(TinyLayerwiseLinformer))]
    public void Padding_is_zeroed_before_projecting_a_padded_batch_classifies_like_each_sequence_alone(string model)
    {
        using var classifier = Create(model);
        var tokens = ModelTestKit.RandomTokens(2, 11, 16, seed: 22);
        var mask = ones(2, 11, dtype: @bool);
        mask[0, 7..] = false;
        var batched = Classify(classifier, tokens, mask);
        var alone = Classify(classifier, tokens[0..1, ..7], null);
        Assert.True(allclose(batched[0], alone[0], rtol: 1e-10, atol: 1e-12), "padding reached the real positions through the projections");
    }

    [Fact]
    public void Linformer_encoder_of_an_encoder_decoder_hides_source_padding_and_the_decoder_steps_equal_forward()
    {
        using var model = ModelTestKit.Create(() => new TinyLinformerTranslator());
        var seq2seq = (IEncoderDecoderModel)model;
        var source = ModelTestKit.RandomTokens(2, 11, 16, seed: 23);
        var sourceMask = ones(2, 11, dtype: @bool);
        sourceMask[0, 7..] = false;
        var target = ModelTestKit.RandomTokens(2, 6, 16, seed: 24);
        var batched = seq2seq.forward(source, target, sourceMask, null);
        var alone = seq2seq.forward(source[0..1, ..7], target[0..1], null, null);
        Assert.True(allclose(batched[0], alone[0], rtol: 1e-10, atol: 1e-12), "source padding reached the target through the encoder");

        using var encoded = seq2seq.Encode(source, sourceMask);
        using var state = seq2seq.CreateDecoderState(encoded);
        for (int t = 0; t < 6; t++)
            Assert.True(allclose(batched[.., t], seq2seq.Step(state, target[.., t]), rtol: 1e-9, atol: 1e-11), $"step {t} differs from forward");

        var card = ModelCard.Of(((IDeclaredModel)model).Declaration);
        Assert.Equal(card.ParameterCount, model.parameters().Sum(p => p.numel()));
    }

    private static nn.Module Create(string model) => model switch
    {
        nameof(TinyLinformerClassifier) => ModelTestKit.Create(() => new TinyLinformerClassifier()),
        nameof(TinyKeyValueLinformer) => ModelTestKit.Create(() => new TinyKeyValueLinformer()),
        nameof(TinyLayerwiseLinformer) => ModelTestKit.Create(() => new TinyLayerwiseLinformer()),
        _ => throw new ArgumentException(model),
    };

    private static Tensor Classify(nn.Module model, Tensor tokens, Tensor? mask) => model switch
    {
        TinyLinformerClassifier m => m.forward(tokens, mask),
        TinyKeyValueLinformer m => m.forward(tokens, mask),
        TinyLayerwiseLinformer m => m.forward(tokens, mask),
        _ => throw new ArgumentException(model.GetType().Name),
    };
}
