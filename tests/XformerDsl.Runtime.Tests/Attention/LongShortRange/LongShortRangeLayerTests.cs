using TorchSharp;
using XformerDsl.Attention.Full;
using XformerDsl.Attention.LongShortRange;
using XformerDsl.Modules;
using XformerDsl.Specs;
using XformerDsl.Tests.Models;
using Xunit;
using static TorchSharp.torch;
using static XformerDsl.Tests.Attention.LayerCompositionKit;

namespace XformerDsl.Tests.Attention.LongShortRange;

/// <summary>
/// The generated long-short range attention (Lite Transformer) against a composition of TorchSharp ops from its own named
/// parameters: the attention branch through the composed full attention, the convolution branch through the composed
/// convolution; values and gradients. Then the models built from it: causality, padding, stepping equal to forward.
/// </summary>
public class LongShortRangeLayerTests
{
    // The layer as the paper and fairseq's MultiBranch define it, from the layer's parameters by name.
    private static Tensor Composed(Dictionary<string, Tensor> p, Tensor x, Tensor? mask, int attentionWidth, int heads, int kernelHeads,
        int kernelSize, bool causal, bool dynamic)
    {
        long batch = x.shape[0], seq = x.shape[1];
        int headDim = attentionWidth / heads;
        var longInput = x[.., .., ..attentionWidth];
        var shortInput = x[.., .., attentionWidth..];
        Tensor Heads(string projection) => nn.functional.linear(longInput, p[projection + ".weight"], p[projection + ".bias"])
            .view(batch, seq, heads, headDim).transpose(1, 2);
        var attended = FullAttentionReference.Forward(Heads("q_proj"), Heads("k_proj"), Heads("v_proj"), causal, mask);
        var longRange = nn.functional.linear(attended.transpose(1, 2).reshape(batch, seq, attentionWidth), p["out_proj.weight"], p["out_proj.bias"]);

        var inner = nn.functional.linear(shortInput, p["conv_in_proj.weight"], p["conv_in_proj.bias"]);
        if (dynamic)
        {
            int half = (int)inner.shape[2] / 2;
            inner = inner[.., .., ..half] * inner[.., .., half..].sigmoid();   // GLU
        }
        if (mask is not null)
            inner = inner * mask.unsqueeze(-1).to(inner.dtype);
        var convolved = dynamic
            ? ConvolutionReference.Dynamic(inner, nn.functional.linear(inner, p["conv_weight_proj.weight"]).view(batch, seq, kernelHeads, kernelSize).softmax(-1), causal)
            : ConvolutionReference.Lightweight(inner, p["conv_weight"].softmax(-1), causal);
        var shortRange = nn.functional.linear(convolved, p["conv_out_proj.weight"], p["conv_out_proj.bias"]);
        return cat(new[] { longRange, shortRange }, -1);
    }

    public static TheoryData<string, int> Layers() => new()
    {
        { "causal dynamic, kernel 3", 0 },
        { "causal dynamic, kernel 4", 1 },
        { "centred lightweight, kernel 5, uneven split", 0 },
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void Layer_output_and_gradients_equal_the_composed_branches(string layerCase, int layer)
    {
        bool lightweight = layerCase.Contains("lightweight");
        nn.Module module = lightweight ? new TinyLiteClassifier.SelfAttention(layer) : new TinyLiteLanguageModel.SelfAttention(layer);
        module.to(float64);
        Randomise(module, seed: 3 + layer);
        var p = NamedParameters(module);
        manual_seed(11);
        var x = randn(2, 9, 16, dtype: float64);
        var mask = ones(2, 9, dtype: @bool);
        mask[1, 6..] = false;
        var upstream = randn(2, 9, 16, dtype: float64);

        Func<Tensor, Tensor> forward = lightweight
            ? input => ((TinyLiteClassifier.SelfAttention)module).forward(input, mask)
            : input => ((TinyLiteLanguageModel.SelfAttention)module).forward(input, mask);
        Func<Tensor, Tensor> composed = lightweight
            ? input => Composed(p, input, mask, attentionWidth: 4, heads: 2, kernelHeads: 3, kernelSize: 5, causal: false, dynamic: false)
            : input => Composed(p, input, mask, attentionWidth: 8, heads: 2, kernelHeads: 2, kernelSize: layer == 0 ? 3 : 4, causal: true, dynamic: true);

        // Padded positions' outputs mean nothing (the classifier never reads them); compare the real ones.
        AssertLayerMatchesComposition(layerCase, module, forward, composed, x, upstream, compared: mask.unsqueeze(-1).to(float64));
    }

    [Fact]
    public void Lite_language_model_is_causal_and_steps_equal_forward()
    {
        using var model = ModelTestKit.Create(() => new TinyLiteLanguageModel());
        var tokens = ModelTestKit.RandomTokens(2, 10, 16, seed: 21);
        var changed = tokens.clone();
        changed[.., 6..] = (changed[.., 6..] + 1) % 16;
        var logits = model.forward(tokens);
        Assert.True(allclose(logits[.., ..6], model.forward(changed)[.., ..6], rtol: 1e-10, atol: 1e-12), "a later token changed earlier logits");

        using var state = model.CreateState(2);
        for (int t = 0; t < 10; t++)
            Assert.True(allclose(logits[.., t], model.Step(state, tokens[.., t]), rtol: 1e-9, atol: 1e-11), $"step {t} differs from forward");
    }

    [Fact]
    public void Lite_encoder_hides_padding_a_padded_batch_classifies_like_each_sequence_alone()
    {
        using var model = ModelTestKit.Create(() => new TinyLiteClassifier());
        var tokens = ModelTestKit.RandomTokens(2, 11, 16, seed: 22);
        var mask = ones(2, 11, dtype: @bool);
        mask[0, 7..] = false;
        var batched = model.forward(tokens, mask);
        var alone = model.forward(tokens[0..1, ..7]);
        Assert.True(allclose(batched[0], alone[0], rtol: 1e-10, atol: 1e-12), "padding reached the real positions through a branch");
    }

    [Fact]
    public void Lite_encoder_decoder_steps_equal_the_teacher_forced_forward()
    {
        using var model = ModelTestKit.Create(() => new TinyLiteTranslator());
        var seq2seq = (IEncoderDecoderModel)model;
        var source = ModelTestKit.RandomTokens(2, 10, 16, seed: 23);
        var sourceMask = ones(2, 10, dtype: @bool);
        sourceMask[1, 8..] = false;
        var target = ModelTestKit.RandomTokens(2, 8, 16, seed: 24);
        var expected = seq2seq.forward(source, target, sourceMask, null);
        using var encoded = seq2seq.Encode(source, sourceMask);
        using var state = seq2seq.CreateDecoderState(encoded);
        for (int t = 0; t < 8; t++)
            Assert.True(allclose(expected[.., t], seq2seq.Step(state, target[.., t]), rtol: 1e-9, atol: 1e-11), $"step {t} differs from forward");
    }

    [Fact]
    public void Each_layer_runs_the_kernel_of_its_declared_size()
    {
        // The paper's default list for a 3-layer encoder and a 2-layer decoder: 3, 7, 15 and 3, 7.
        Assert.Equal(new[] { 3, 7, 15 }, Enumerable.Range(0, 3).Select(layer => ((LongShortRangeAttentionSpec)TinyLiteTranslator.Spec.EncoderStack().AttentionAt(layer)).KernelSizeOf(layer)));
        var names = new TinyLiteTranslator().named_parameters().ToDictionary(p => p.name, p => p.parameter);
        // A dynamic kernel's weights are KernelHeads · K rows: the layer's K is in its parameter's shape.
        Assert.Equal(new long[] { 2 * 15, 8 }, names["encoder.layers.2.attn.conv_weight_proj.weight"].shape);
        Assert.Equal(new long[] { 2 * 7, 8 }, names["decoder.layers.1.attn.conv_weight_proj.weight"].shape);
    }
}
