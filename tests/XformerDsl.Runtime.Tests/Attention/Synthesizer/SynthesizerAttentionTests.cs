using TorchSharp;
using XformerDsl.Attention.Full;
using XformerDsl.Modules;
using XformerDsl.Specs;
using XformerDsl.Tests.Models;
using Xunit;
using static TorchSharp.torch;
using static XformerDsl.Tests.Attention.LayerCompositionKit;

namespace XformerDsl.Tests.Attention.Synthesizer;

/// <summary>
/// The generated synthesizer attention of every mode against a plain composition of TorchSharp ops from its own named
/// parameters (softmax of the masked logits times the values), values and gradients of the input and every parameter,
/// padded and odd lengths; zero synthetic logits mixed with dot products is full attention; causal models keep earlier
/// logits bit-identical when later tokens change; padding; the card's parameter count.
/// </summary>
public class SynthesizerAttentionTests
{
    private const int Dim = 16, MaxLength = 12;

    private sealed record Layer(nn.Module Module, Func<Tensor, Tensor?, Tensor> Forward, SynthesizerAttentionSpec Spec, bool Causal);

    private static Layer LayerOf(string model)
    {
        Layer Make<T>(T layer, Func<T, Tensor, Tensor?, Tensor> forward, ISequenceModel declared) where T : nn.Module
        {
            layer.to(float64);
            var spec = declared.Declaration;
            return new Layer(layer, (x, m) => forward(layer, x, m), (SynthesizerAttentionSpec)spec.Attention[0].Attention, spec.Causal);
        }
        return model switch
        {
            nameof(TinyRandomSynthesizer) => Make(new TinyRandomSynthesizer.SelfAttention(), (l, x, m) => l.forward(x, m), new TinyRandomSynthesizer()),
            nameof(TinyMixedSynthesizer) => Make(new TinyMixedSynthesizer.SelfAttention(), (l, x, m) => l.forward(x, m), new TinyMixedSynthesizer()),
            nameof(TinyDenseSynthesizer) => Make(new TinyDenseSynthesizer.SelfAttention(), (l, x, m) => l.forward(x, m), new TinyDenseSynthesizer()),
            nameof(TinyFactorizedRandomSynthesizer) => Make(new TinyFactorizedRandomSynthesizer.SelfAttention(), (l, x, m) => l.forward(x, m), new TinyFactorizedRandomSynthesizer()),
            nameof(TinyFactorizedDenseSynthesizer) => Make(new TinyFactorizedDenseSynthesizer.SelfAttention(), (l, x, m) => l.forward(x, m), new TinyFactorizedDenseSynthesizer()),
            _ => throw new ArgumentException(model),
        };
    }

    // The layer as the paper defines it, from its parameters by name: the mode's logits over the first seq positions,
    // plus (weighted) dot products when mixed, masked, softmax, times the values, output projection.
    private static Tensor Composed(Dictionary<string, Tensor> p, SynthesizerAttentionSpec spec, bool causal, Tensor x, Tensor? mask)
    {
        long batch = x.shape[0], seq = x.shape[1];
        int heads = spec.Heads, headDim = Dim / heads;
        var all = TensorIndex.Ellipsis;
        var first = TensorIndex.Slice(0, seq);
        Tensor Split(Tensor t) => t.view(batch, seq, heads, headDim).transpose(1, 2);
        Tensor Heads(string projection) => Split(nn.functional.linear(x, p[projection + ".weight"], p[projection + ".bias"]));
        Tensor logits;
        switch (spec.Mode)
        {
            case SynthesizerMode.Random:
                logits = p["random_logits"][all, first, first];
                break;
            case SynthesizerMode.FactorizedRandom:
                logits = matmul(p["random_left"][all, first, TensorIndex.Colon], p["random_right"][all, first, TensorIndex.Colon].transpose(1, 2));
                break;
            default:
                var hidden = Split(nn.functional.relu(nn.functional.linear(x, p["dense_in.weight"], p["dense_in.bias"])));
                if (spec.Mode == SynthesizerMode.Dense)
                    logits = einsum("bhid,hjd->bhij", hidden, p["dense_out_weight"]) + p["dense_out_bias"].unsqueeze(1);
                else
                {
                    var a = einsum("bhid,had->bhia", hidden, p["dense_a_weight"]) + p["dense_a_bias"].unsqueeze(1);
                    var b = einsum("bhid,hcd->bhic", hidden, p["dense_b_weight"]) + p["dense_b_bias"].unsqueeze(1);
                    // Logit j of a token is a[j / |B|] · b[j % |B|].
                    long lengthOfB = b.shape[3];
                    var j = arange(MaxLength);
                    logits = a.index_select(3, j.div(lengthOfB, rounding_mode: RoundingMode.floor)) * b.index_select(3, j.remainder(lengthOfB));
                }
                logits = logits[all, first];
                break;
        }
        var scores = logits.expand(batch, heads, seq, seq);
        if (spec.DotProduct)
        {
            var dot = matmul(Heads("q_proj"), Heads("k_proj").transpose(-2, -1)) / Math.Sqrt(headDim);
            if (spec.LearnedMixture)
            {
                var alpha = p["mixture_logits"].softmax(-1);
                scores = scores * alpha[TensorIndex.Colon, 0].view(heads, 1, 1) + dot * alpha[TensorIndex.Colon, 1].view(heads, 1, 1);
            }
            else
                scores = scores + dot;
        }
        var visible = ones(seq, seq, dtype: @bool);
        if (causal)
            visible = visible.tril();
        var allVisible = mask is null ? visible.expand(batch, 1, seq, seq) : visible.logical_and(mask.view(batch, 1, 1, seq));
        var weights = scores.masked_fill(allVisible.logical_not(), double.NegativeInfinity).softmax(-1);
        var attended = matmul(weights, Heads("v_proj"));
        return nn.functional.linear(attended.transpose(1, 2).reshape(batch, seq, Dim), p["out_proj.weight"], p["out_proj.bias"]);
    }

    public static TheoryData<string, int, int, bool> LayerCases() => new()
    {
        // model, batch, seq, padded
        { nameof(TinyRandomSynthesizer), 2, 12, true },
        { nameof(TinyRandomSynthesizer), 1, 7, false },
        { nameof(TinyMixedSynthesizer), 3, 9, true },
        { nameof(TinyDenseSynthesizer), 2, 11, true },
        { nameof(TinyDenseSynthesizer), 1, 1, false },
        { nameof(TinyFactorizedRandomSynthesizer), 2, 10, true },
        { nameof(TinyFactorizedDenseSynthesizer), 2, 12, true },
        { nameof(TinyFactorizedDenseSynthesizer), 3, 5, false },
    };

    [Theory]
    [MemberData(nameof(LayerCases))]
    public void Layer_output_and_gradients_equal_the_composed_synthesizer(string model, int batch, int seq, bool padded)
    {
        var layer = LayerOf(model);
        Randomise(layer.Module, seed: 3 + seq);
        var p = layer.Module.named_parameters().ToDictionary(x => x.name, x => (Tensor)x.parameter);
        manual_seed(11);
        var x = randn(batch, seq, Dim, dtype: float64);
        Tensor? mask = null;
        if (padded)
        {
            mask = ones(batch, seq, dtype: @bool);
            mask[batch - 1, (seq - 3)..] = false;
        }
        var upstream = randn(batch, seq, Dim, dtype: float64);

        AssertLayerMatchesComposition(model, layer.Module, input => layer.Forward(input, mask), input => Composed(p, layer.Spec, layer.Causal, input, mask), x, upstream);
    }

    [Fact]
    public void Zero_synthetic_logits_mixed_with_dot_products_is_full_attention()
    {
        var layer = LayerOf(nameof(TinyMixedSynthesizer));
        Randomise(layer.Module, seed: 5);
        using (no_grad())
            layer.Module.named_parameters().Single(p => p.name == "random_logits").parameter.zero_();
        var p = layer.Module.named_parameters().ToDictionary(x => x.name, x => (Tensor)x.parameter);
        manual_seed(12);
        var x = randn(2, 10, Dim, dtype: float64);
        var mask = ones(2, 10, dtype: @bool);
        mask[1, 6..] = false;

        Tensor HeadsOf(string projection) => nn.functional.linear(x, p[projection + ".weight"], p[projection + ".bias"]).view(2, 10, 2, Dim / 2).transpose(1, 2);
        var full = FullAttentionReference.Forward(HeadsOf("q_proj"), HeadsOf("k_proj"), HeadsOf("v_proj"), causal: false, mask);
        var expected = nn.functional.linear(full.transpose(1, 2).reshape(2, 10, Dim), p["out_proj.weight"], p["out_proj.bias"]);

        Assert.True(allclose(expected, layer.Forward(x, mask), rtol: 1e-10, atol: 1e-12), "zero synthetic logits differ from full attention");
    }

    [Theory]
    [InlineData(nameof(TinyRandomSynthesizer))]
    [InlineData(nameof(TinyDenseSynthesizer))]
    [InlineData(nameof(TinyFactorizedRandomSynthesizer))]
    public void Causal_model_logits_up_to_t_do_not_change_when_later_tokens_do(string model)
    {
        using var lm = (nn.Module<Tensor, Tensor>)Create(model);
        var tokens = ModelTestKit.RandomTokens(2, MaxLength, 16, seed: 21);
        var changed = tokens.clone();
        const int t = 6;
        changed[.., (t + 1)..] = (changed[.., (t + 1)..] + 1) % 16;
        var before = lm.forward(tokens)[.., ..(t + 1)];
        var after = lm.forward(changed)[.., ..(t + 1)];
        Assert.True(before.eq(after).all().item<bool>(), $"{model}: a later token changed the logits at or before position {t}");
    }

    [Theory]
    [InlineData(nameof(TinyMixedSynthesizer))]
    [InlineData(nameof(TinyFactorizedDenseSynthesizer))]
    public void A_padded_batch_classifies_like_each_sequence_alone(string model)
    {
        using var classifier = Create(model);
        var tokens = ModelTestKit.RandomTokens(2, 11, 16, seed: 22);
        var mask = ones(2, 11, dtype: @bool);
        mask[0, 7..] = false;
        var batched = ((ISequenceModel)classifier).forward(tokens, mask);
        var alone = ((ISequenceModel)classifier).forward(tokens[0..1, ..7], null);
        Assert.True(allclose(batched[0], alone[0], rtol: 1e-10, atol: 1e-12), "padding reached the real positions");
    }

    [Theory]
    [InlineData(nameof(TinyRandomSynthesizer), "random_logits")]
    [InlineData(nameof(TinyMixedSynthesizer), "random_logits")]
    [InlineData(nameof(TinyDenseSynthesizer), "dense_out_weight")]
    [InlineData(nameof(TinyFactorizedRandomSynthesizer), "random_left")]
    [InlineData(nameof(TinyFactorizedDenseSynthesizer), "mixture_logits")]
    public void Card_parameter_count_includes_the_synthesizer(string model, string parameter)
    {
        using var module = Create(model);
        var card = ModelCard.Of(((IDeclaredModel)module).Declaration);
        Assert.Equal(card.ParameterCount, module.parameters().Sum(p => p.numel()));
        Assert.Contains(module.named_parameters(), p => p.name.EndsWith(parameter, StringComparison.Ordinal));
        bool pure = !((SynthesizerAttentionSpec)((IDeclaredModel)module).Declaration.Attention[0].Attention).DotProduct;
        Assert.Equal(pure, !module.named_parameters().Any(p => p.name.Contains("q_proj", StringComparison.Ordinal)));
    }

    private static nn.Module Create(string model) => model switch
    {
        nameof(TinyRandomSynthesizer) => ModelTestKit.Create(() => new TinyRandomSynthesizer()),
        nameof(TinyMixedSynthesizer) => ModelTestKit.Create(() => new TinyMixedSynthesizer()),
        nameof(TinyDenseSynthesizer) => ModelTestKit.Create(() => new TinyDenseSynthesizer()),
        nameof(TinyFactorizedRandomSynthesizer) => ModelTestKit.Create(() => new TinyFactorizedRandomSynthesizer()),
        nameof(TinyFactorizedDenseSynthesizer) => ModelTestKit.Create(() => new TinyFactorizedDenseSynthesizer()),
        _ => throw new ArgumentException(model),
    };
}
