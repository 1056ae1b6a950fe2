using TorchSharp;
using XformerDsl.Modules;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Models;

/// <summary>
/// The model shapes beyond the language model: encoders with a classification or masked-LM head, and encoder–decoders.
/// Parameter counts against the model card, outputs against what the heads promise, padding and causality as properties,
/// the stacks against an independent composition of their own parts.
/// </summary>
public class ModelShapeTests
{
    public static TheoryData<string> ShapedModels() => new()
    {
        nameof(TinyClassifier), nameof(TinyFirstTokenClassifier), nameof(TinyMaskedLanguageModel), nameof(TinyUntiedMaskedLanguageModel),
        nameof(TinyTranslator), nameof(TinySharedTranslator),
        nameof(TinyLiteLanguageModel), nameof(TinyLiteClassifier), nameof(TinyLiteTranslator),
    };

    private static nn.Module CreateByName(string name) => name switch
    {
        nameof(TinyClassifier) => ModelTestKit.Create(() => new TinyClassifier()),
        nameof(TinyFirstTokenClassifier) => ModelTestKit.Create(() => new TinyFirstTokenClassifier()),
        nameof(TinyMaskedLanguageModel) => ModelTestKit.Create(() => new TinyMaskedLanguageModel()),
        nameof(TinyUntiedMaskedLanguageModel) => ModelTestKit.Create(() => new TinyUntiedMaskedLanguageModel()),
        nameof(TinyTranslator) => ModelTestKit.Create(() => new TinyTranslator()),
        nameof(TinySharedTranslator) => ModelTestKit.Create(() => new TinySharedTranslator()),
        nameof(TinyLiteLanguageModel) => ModelTestKit.Create(() => new TinyLiteLanguageModel()),
        nameof(TinyLiteClassifier) => ModelTestKit.Create(() => new TinyLiteClassifier()),
        nameof(TinyLiteTranslator) => ModelTestKit.Create(() => new TinyLiteTranslator()),
        _ => throw new ArgumentException(name),
    };

    [Fact]
    public void Classifier_maps_tokens_to_one_row_of_class_logits_per_sequence()
    {
        using var model = ModelTestKit.Create(() => new TinyClassifier());
        var logits = model.forward(ModelTestKit.RandomTokens(3, 9, 16, seed: 1));
        Assert.Equal(new long[] { 3, 3 }, logits.shape);
    }

    [Fact]
    public void Mean_pooling_ignores_padding_a_padded_batch_classifies_like_each_sequence_alone()
    {
        using var model = ModelTestKit.Create(() => new TinyClassifier());
        var tokens = ModelTestKit.RandomTokens(2, 10, 16, seed: 2);
        var mask = ones(2, 10, dtype: @bool);
        mask[0, TensorIndex.Slice(6)] = false;   // the first sequence has 6 real tokens, then padding
        var batched = model.forward(tokens, mask);
        var alone = model.forward(tokens[TensorIndex.Slice(0, 1), TensorIndex.Slice(0, 6)]);
        Assert.True(allclose(batched[0], alone[0], rtol: 1e-10, atol: 1e-12), "padding changed the pooled logits");
        // And the padding really was read out: without the mask the logits differ.
        Assert.False(allclose(model.forward(tokens)[0], alone[0], rtol: 1e-6, atol: 1e-8));
    }

    [Fact]
    public void First_token_pooling_reads_the_first_token_and_refuses_padding_there()
    {
        using var model = ModelTestKit.Create(() => new TinyFirstTokenClassifier());
        var tokens = ModelTestKit.RandomTokens(2, 8, 16, seed: 3);
        var mask = ones(2, 8, dtype: @bool);
        mask[1, TensorIndex.Slice(5)] = false;
        var batched = model.forward(tokens, mask);
        var alone = model.forward(tokens[TensorIndex.Slice(1, 2), TensorIndex.Slice(0, 5)]);
        Assert.True(allclose(batched[1], alone[0], rtol: 1e-10, atol: 1e-12));

        mask[0, 0] = false;
        var error = Assert.Throws<ArgumentException>(() => model.forward(tokens, mask));
        Assert.Contains("first token", error.Message);
        Assert.Contains("[2, 8]", error.Message);
    }

    [Fact]
    public void Masked_language_model_gives_vocabulary_logits_at_every_position_through_bert_head()
    {
        using var model = ModelTestKit.Create(() => new TinyMaskedLanguageModel());
        var logits = model.forward(ModelTestKit.RandomTokens(2, 7, 17, seed: 4));
        Assert.Equal(new long[] { 2, 7, 17 }, logits.shape);

        var names = model.named_parameters().Select(p => p.name).ToHashSet();
        Assert.Contains("mlm_head.dense.weight", names);
        Assert.Contains("mlm_head.norm.weight", names);
        Assert.Contains("mlm_head.bias", names);          // tied: the matrix is the embedding, the bias the head's own
        Assert.DoesNotContain("mlm_head.decoder.weight", names);
        Assert.DoesNotContain("lm_head.weight", names);

        using var untied = ModelTestKit.Create(() => new TinyUntiedMaskedLanguageModel());
        Assert.Contains("mlm_head.decoder.weight", untied.named_parameters().Select(x => x.name));
    }

    [Fact]
    public void Masked_language_model_head_is_bert_dense_gelu_norm_then_vocabulary()
    {
        manual_seed(7);
        using var head = new TinyUntiedMaskedLanguageModel.MaskedLanguageModelHead();
        head.to(float64);
        // Random weights everywhere, so a step left out or swapped shows.
        using (var noGrad = no_grad())
            foreach (var parameter in head.parameters())
                parameter.copy_(randn_like(parameter));
        var p = head.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        var h = randn(2, 5, 8, dtype: float64);

        var expected = nn.functional.linear(
            nn.functional.layer_norm(nn.functional.gelu(nn.functional.linear(h, p["dense.weight"], p["dense.bias"])),
                new long[] { 8 }, p["norm.weight"], p["norm.bias"], 1e-5),
            p["decoder.weight"], p["decoder.bias"]);

        Assert.True(allclose(expected, head.forward(h), rtol: 1e-12, atol: 1e-12));
    }

    [Fact]
    public void Encoder_decoder_parameter_names_are_pytorch_style()
    {
        using var model = ModelTestKit.Create(() => new TinyTranslator());
        var names = model.named_parameters().Select(p => p.name).ToHashSet();
        foreach (var expected in new[]
        {
            "encoder.token_embedding.weight", "encoder.position_embedding.weight", "encoder.layers.0.attn.q_proj.weight",
            "encoder.final_norm.weight", "decoder.token_embedding.weight", "decoder.layers.1.attn.k_proj.weight",
            "decoder.layers.0.cross_attn.k_proj.weight", "decoder.layers.0.cross_attn_norm.weight", "decoder.final_norm.weight", "decoder.lm_head.weight",
        })
            Assert.Contains(expected, names);
        Assert.DoesNotContain("encoder.lm_head.weight", names);

        using var shared = ModelTestKit.Create(() => new TinySharedTranslator());
        var sharedNames = shared.named_parameters().Select(p => p.name).ToHashSet();
        Assert.Contains("encoder.token_embedding.weight", sharedNames);
        Assert.DoesNotContain("decoder.token_embedding.weight", sharedNames);
        Assert.DoesNotContain("decoder.lm_head.weight", sharedNames);   // tied to the one shared embedding
    }

    [Fact]
    public void Encoder_decoder_maps_source_and_target_to_target_logits()
    {
        using var model = ModelTestKit.Create(() => new TinyTranslator());
        var source = ModelTestKit.RandomTokens(2, 13, 18, seed: 6);
        var target = ModelTestKit.RandomTokens(2, 10, 14, seed: 7);
        Assert.Equal(new long[] { 2, 10, 14 }, model.forward(source, target).shape);
    }

    [Fact]
    public void Decoder_is_causal_later_target_tokens_leave_earlier_logits_unchanged()
    {
        foreach (var model in new nn.Module<Tensor, Tensor, Tensor>[] { ModelTestKit.Create(() => new TinyTranslator()), ModelTestKit.Create(() => new TinySharedTranslator()) })
        {
            var spec = ((IDeclaredModel)model).Declaration;
            var source = ModelTestKit.RandomTokens(1, 9, spec.Encoder!.Vocab, seed: 8);
            var target = ModelTestKit.RandomTokens(1, 8, spec.Vocab, seed: 9);
            var changed = target.clone();
            changed[0, TensorIndex.Slice(5)] = (changed[0, TensorIndex.Slice(5)] + 1) % spec.Vocab;
            var before = model.forward(source, target);
            var after = model.forward(source, changed);
            Assert.True(allclose(before[.., ..5], after[.., ..5], rtol: 1e-10, atol: 1e-12), $"{spec.Name}: a later target token changed earlier logits");
            Assert.False(allclose(before[.., 5..], after[.., 5..], rtol: 1e-6, atol: 1e-8), $"{spec.Name}: changed tokens had no effect");
            // Every source token reaches every target position (the cross-attention is full).
            var otherSource = source.clone();
            otherSource[0, 8] = (otherSource[0, 8] + 1) % spec.Encoder.Vocab;
            Assert.False(allclose(before[.., ..1], model.forward(otherSource, target)[.., ..1], rtol: 1e-6, atol: 1e-8), $"{spec.Name}: the last source token did not reach the first target position");
            model.Dispose();
        }
    }

    [Fact]
    public void Source_padding_is_hidden_a_padded_batch_translates_like_each_source_alone()
    {
        using var model = ModelTestKit.Create(() => new TinyTranslator());
        var source = ModelTestKit.RandomTokens(2, 12, 18, seed: 10);
        var target = ModelTestKit.RandomTokens(2, 6, 14, seed: 11);
        var sourceMask = ones(2, 12, dtype: @bool);
        sourceMask[1, TensorIndex.Slice(7)] = false;
        var batched = model.forward(source, target, sourceMask, null);
        var alone = model.forward(source[TensorIndex.Slice(1, 2), TensorIndex.Slice(0, 7)], target[TensorIndex.Slice(1, 2)]);
        Assert.True(allclose(batched[1], alone[0], rtol: 1e-10, atol: 1e-12), "source padding changed the target logits");
    }

    [Fact]
    public void Encoder_decoder_is_its_encoder_then_its_decoder()
    {
        using var model = ModelTestKit.Create(() => new TinyTranslator());
        var source = ModelTestKit.RandomTokens(2, 5, 18, seed: 12);
        var target = ModelTestKit.RandomTokens(2, 4, 14, seed: 13);
        var memory = model.EncodeSource(source);
        Assert.Equal(new long[] { 2, 5, 16 }, memory.shape);
        Assert.True(allclose(model.forward(source, target), model.DecodeTarget(target, null, memory), rtol: 1e-12, atol: 1e-14));
    }

    [Fact]
    public void Bad_encoder_decoder_inputs_throw_with_the_shapes()
    {
        using var model = ModelTestKit.Create(() => new TinyTranslator());
        var error = Assert.Throws<ArgumentException>(() => model.forward(ModelTestKit.RandomTokens(2, 5, 18, seed: 1), ModelTestKit.RandomTokens(3, 4, 14, seed: 2)));
        Assert.Contains("[2, 5]", error.Message);
        Assert.Contains("[3, 4]", error.Message);
        // A source id of the source vocabulary (18) that the target vocabulary (14) lacks is fine in the source...
        model.forward(full(1, 3, 17L), ModelTestKit.RandomTokens(1, 2, 14, seed: 3));
        // ... but not in the target, and a source longer than the encoder's MaxLength = 13 is refused.
        Assert.Throws<ArgumentException>(() => model.forward(full(1, 3, 1L), full(1, 2, 17L)));
        var tooLong = Assert.Throws<ArgumentException>(() => model.forward(ModelTestKit.RandomTokens(1, 14, 18, seed: 4), full(1, 2, 1L)));
        Assert.Contains("14", tooLong.Message);
    }

    [Fact]
    public void Encoder_decoder_step_equals_the_teacher_forced_forward_at_every_position()
    {
        foreach (var model in new nn.Module<Tensor, Tensor, Tensor>[] { ModelTestKit.Create(() => new TinyTranslator()), ModelTestKit.Create(() => new TinySharedTranslator()) })
        {
            var seq2seq = (IEncoderDecoderModel)model;
            var spec = seq2seq.Declaration;
            var source = ModelTestKit.RandomTokens(3, 9, spec.Encoder!.Vocab, seed: 14);
            var sourceMask = ones(3, 9, dtype: @bool);
            sourceMask[1, TensorIndex.Slice(4)] = false;
            var target = ModelTestKit.RandomTokens(3, 7, spec.Vocab, seed: 15);
            var expected = seq2seq.forward(source, target, sourceMask, null);

            using var encoded = seq2seq.Encode(source, sourceMask);
            using var state = seq2seq.CreateDecoderState(encoded);
            for (int t = 0; t < 7; t++)
            {
                var logits = seq2seq.Step(state, target[.., t]);
                Assert.True(allclose(expected[.., t], logits, rtol: 1e-9, atol: 1e-11), $"{spec.Name}: step {t} differs from forward");
            }
            model.Dispose();
        }
    }

    [Fact]
    public void Encoder_decoder_converts_with_every_shared_weight_and_only_the_decoder_feature_maps_new()
    {
        using var source = ModelTestKit.Create(() => new TinyTranslator());
        using var converted = TinyT2RTranslator.ConvertFrom(source, out var newParameters);
        converted.to(float64);
        converted.eval();

        Assert.Equal(new[] { "decoder.layers.0.attn.feature_bias", "decoder.layers.0.attn.feature_weight", "decoder.layers.1.attn.feature_bias", "decoder.layers.1.attn.feature_weight" },
            newParameters.Order(StringComparer.Ordinal));
        var sourceWeights = source.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, parameter) in converted.named_parameters().Where(p => !newParameters.Contains(p.name)))
            Assert.True(sourceWeights[name].equal(parameter).all().item<bool>(), $"{name} was not copied");
        // The encoder is untouched by the swap, so it encodes exactly as the source does.
        var tokens = ModelTestKit.RandomTokens(2, 9, 18, seed: 30);
        Assert.True(allclose(source.EncodeSource(tokens), converted.EncodeSource(tokens), rtol: 1e-12, atol: 1e-14));
    }
}
