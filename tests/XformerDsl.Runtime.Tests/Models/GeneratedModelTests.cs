using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Models;

/// <summary>
/// What a user relies on in a generated model (its card's count is <see cref="DeclaredModelCardTests"/>): it maps
/// [batch, seq] ids to [batch, seq, vocab] logits, causal models cannot see the future (encoders can), padding is
/// invisible, bad input fails with the shapes, parameter names are the documented PyTorch-style ones, and tied
/// embeddings are one tensor.
/// </summary>
public class GeneratedModelTests
{
    public static TheoryData<string> Models() => ModelTestKit.Names();

    [Theory]
    [MemberData(nameof(Models))]
    public void Forward_maps_batch_seq_ids_to_batch_seq_vocab_logits(string name)
    {
        using var model = ModelTestKit.Create(name);
        var spec = ModelTestKit.Spec(name);
        using var scope = NewDisposeScope();

        foreach (var seq in new long[] { 1, 5, spec.MaxLength })
        {
            var logits = model.call(ModelTestKit.RandomTokens(3, seq, spec.Vocab, seed: 7));
            Assert.Equal(new[] { 3L, seq, spec.Vocab }, logits.shape);
            Assert.Equal(float64, logits.dtype);
            Assert.False(logits.isnan().any().item<bool>());
        }
    }

    [Theory]
    [InlineData(nameof(TinyGpt2))]
    [InlineData(nameof(TinyLlama))]
    [InlineData(nameof(TinyNoBias))]
    [InlineData(nameof(TinyTiedWithDropout))]
    [InlineData(nameof(TinyHybrid))]
    public void Causal_model_logits_do_not_depend_on_later_tokens(string name)
    {
        using var model = ModelTestKit.Create(name);
        var spec = ModelTestKit.Spec(name);
        Assert.True(spec.Causal);
        using var scope = NewDisposeScope();
        long seq = spec.MaxLength, changed = seq / 2;
        var tokens = ModelTestKit.RandomTokens(2, seq, spec.Vocab, seed: 11);
        var edited = tokens.clone();
        edited[.., changed] = (tokens[.., changed] + 1) % spec.Vocab;

        var before = model.call(tokens);
        var after = model.call(edited);

        Assert.True(Same(before[.., ..(int)changed], after[.., ..(int)changed]), "a position before the edit saw the edited token");
        Assert.False(before[.., (int)changed].allclose(after[.., (int)changed]), "the edited position did not change");
    }

    [Fact]
    public void Bidirectional_encoder_logits_depend_on_later_tokens()
    {
        using var model = ModelTestKit.Create(nameof(TinyEncoder));
        using var scope = NewDisposeScope();
        var tokens = ModelTestKit.RandomTokens(1, 8, TinyEncoder.Spec.Vocab, seed: 3);
        var edited = tokens.clone();
        edited[0, 7] = (tokens[0, 7] + 1) % TinyEncoder.Spec.Vocab;

        var before = model.call(tokens);
        var after = model.call(edited);

        Assert.False(before[0, 0].allclose(after[0, 0]), "the first position did not see the last token");
    }

    [Theory]
    [InlineData(nameof(TinyEncoder), false)]
    [InlineData(nameof(TinyGpt2), true)]
    [InlineData(nameof(TinyLlama), true)]
    public void Padded_keys_do_not_influence_real_positions(string name, bool padAtStart)
    {
        // A causal model never sees later tokens anyway, so pad where it matters: at the start (left padding).
        using var model = ModelTestKit.Create(name);
        var spec = ModelTestKit.Spec(name);
        using var scope = NewDisposeScope();
        const long seq = 8, padded = 3;
        var positions = arange(seq).unsqueeze(0).expand(2, seq);
        var mask = padAtStart ? positions >= padded : positions < seq - padded;   // true for real tokens
        var real = padAtStart ? arange(padded, seq) : arange(0, seq - padded);
        var tokens = ModelTestKit.RandomTokens(2, seq, spec.Vocab, seed: 5);
        var otherPadding = where(mask, tokens, (tokens + 1) % spec.Vocab);

        var before = ModelTestKit.Forward(model, tokens, mask);
        var after = ModelTestKit.Forward(model, otherPadding, mask);
        var unmasked = ModelTestKit.Forward(model, otherPadding, null);

        Assert.True(before.index_select(1, real).allclose(after.index_select(1, real), rtol: 1e-12, atol: 1e-12), "real positions saw padded tokens");
        Assert.False(before.index_select(1, real).allclose(unmasked.index_select(1, real)), "without the mask the padding should matter");
    }

    [Fact]
    public void Bad_inputs_throw_argument_exceptions_naming_the_shapes()
    {
        using var model = new TinyGpt2();
        using var scope = NewDisposeScope();

        var threeD = Assert.Throws<ArgumentException>(() => model.call(zeros(new long[] { 1, 2, 3 }, int64)));
        Assert.Contains("[1, 2, 3]", threeD.Message);
        Assert.Contains("[batch, seq]", threeD.Message);

        var oneD = Assert.Throws<ArgumentException>(() => model.call(zeros(new long[] { 5 }, int64)));
        Assert.Contains("unsqueeze(0)", oneD.Message);

        var floats = Assert.Throws<ArgumentException>(() => model.call(zeros(new long[] { 1, 4 }, float32)));
        Assert.Contains("[1, 4]", floats.Message);
        Assert.Contains("Float32", floats.Message);

        var tooLong = Assert.Throws<ArgumentException>(() => model.call(zeros(new long[] { 1, 13 }, int64)));
        Assert.Contains("[1, 13]", tooLong.Message);
        Assert.Contains("MaxLength = 12", tooLong.Message);

        var empty = Assert.Throws<ArgumentException>(() => model.call(zeros(new long[] { 1, 0 }, int64)));
        Assert.Contains("[1, 0]", empty.Message);

        var outOfVocab = Assert.Throws<ArgumentException>(() => model.call(full(new long[] { 1, 3 }, 16L, int64)));
        Assert.Contains("[0, 16)", outOfVocab.Message);

        var wrongMask = Assert.Throws<ArgumentException>(() => model.forward(zeros(new long[] { 2, 4 }, int64), ones(new long[] { 2, 5 }, ScalarType.Bool)));
        Assert.Contains("[2, 4]", wrongMask.Message);
        Assert.Contains("[2, 5]", wrongMask.Message);

        var floatMask = Assert.Throws<ArgumentException>(() => model.forward(zeros(new long[] { 2, 4 }, int64), ones(new long[] { 2, 4 }, float32)));
        Assert.Contains("bool", floatMask.Message);
    }

    [Fact]
    public void State_dict_keys_are_the_documented_names_for_gpt2_style()
    {
        using var model = new TinyGpt2();
        var expected = new List<string> { "token_embedding.weight", "position_embedding.weight" };
        for (int i = 0; i < 2; i++)
        {
            expected.AddRange(WeightAndBias($"layers.{i}.attn_norm"));
            foreach (var projection in new[] { "q_proj", "k_proj", "v_proj", "out_proj" })
                expected.AddRange(WeightAndBias($"layers.{i}.attn.{projection}"));
            expected.AddRange(WeightAndBias($"layers.{i}.ffn_norm"));
            expected.AddRange(WeightAndBias($"layers.{i}.ffn.up_proj"));
            expected.AddRange(WeightAndBias($"layers.{i}.ffn.down_proj"));
        }
        expected.AddRange(WeightAndBias("final_norm"));
        expected.AddRange(WeightAndBias("lm_head"));

        Assert.Equal(expected.Order(), model.state_dict().Keys.Order());
    }

    [Fact]
    public void State_dict_keys_are_the_documented_names_for_llama_style()
    {
        using var model = new TinyLlama();
        var expected = new List<string> { "token_embedding.weight", "final_norm.weight" };
        for (int i = 0; i < 2; i++)
        {
            expected.Add($"layers.{i}.attn_norm.weight");
            expected.AddRange(new[] { "q_proj", "k_proj", "v_proj", "out_proj" }.Select(p => $"layers.{i}.attn.{p}.weight"));
            expected.Add($"layers.{i}.ffn_norm.weight");
            expected.AddRange(new[] { "gate_proj", "up_proj", "down_proj" }.Select(p => $"layers.{i}.ffn.{p}.weight"));
        }

        Assert.Equal(expected.Order(), model.state_dict().Keys.Order());
    }

    [Fact]
    public void Post_norm_encoder_has_no_final_norm_and_no_position_parameters()
    {
        using var model = new TinyEncoder();
        var keys = model.state_dict().Keys.ToList();

        Assert.DoesNotContain(keys, k => k.StartsWith("final_norm", StringComparison.Ordinal));
        Assert.DoesNotContain(keys, k => k.StartsWith("position_embedding", StringComparison.Ordinal));
        Assert.Contains("layers.1.ffn_norm.bias", keys);
        Assert.Contains("lm_head.bias", keys);
    }

    [Fact]
    public void Tied_embeddings_are_one_tensor_used_as_input_and_output()
    {
        using var model = ModelTestKit.Create(nameof(TinyLlama));
        var embedding = model.named_parameters().Single(p => p.name == "token_embedding.weight").parameter;
        Assert.DoesNotContain(model.named_parameters(), p => p.name.StartsWith("lm_head", StringComparison.Ordinal));

        // Token 15 is absent from the input, so only the output head can give its embedding row a gradient.
        var tokens = tensor(new long[] { 1, 2, 3, 4 }).unsqueeze(0);
        var logits = model.call(tokens);
        logits[.., .., 15].sum().backward();

        var grad = embedding.grad!;
        Assert.True(grad[15].abs().sum().item<double>() > 0, "the output head does not use the embedding matrix");
        Assert.Equal(0.0, grad[0].abs().sum().item<double>());   // unused as input and as output
    }

    [Fact]
    public void Initialisation_follows_gpt2()
    {
        using var model = new TinyGpt2();
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);

        Assert.All(parameters.Where(p => p.Key.EndsWith(".bias", StringComparison.Ordinal)), p => Assert.Equal(0.0, p.Value.abs().max().item<float>()));
        Assert.All(parameters.Where(p => p.Key.EndsWith("norm.weight", StringComparison.Ordinal)), p => Assert.True(p.Value.eq(1).all().item<bool>()));
        // Standard deviations from 256+ draws: within 25% of 0.02, and of 0.02/√(2·Depth) = 0.01 for residual projections.
        Assert.InRange(parameters["layers.0.attn.q_proj.weight"].std().item<float>(), 0.015, 0.025);
        Assert.InRange(parameters["token_embedding.weight"].std().item<float>(), 0.015, 0.025);
        Assert.InRange(parameters["layers.1.attn.out_proj.weight"].std().item<float>(), 0.0075, 0.0125);
        Assert.InRange(parameters["layers.0.ffn.down_proj.weight"].std().item<float>(), 0.0075, 0.0125);
    }

    [Fact]
    public void Dropout_acts_in_training_mode_only()
    {
        using var model = ModelTestKit.Create(nameof(TinyTiedWithDropout));
        using var scope = NewDisposeScope();
        var tokens = ModelTestKit.RandomTokens(2, 6, 10, seed: 9);

        Assert.True(Same(model.call(tokens), model.call(tokens)), "eval mode must be deterministic");
        model.train();
        Assert.False(Same(model.call(tokens), model.call(tokens)), "training mode should drop activations");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void A_few_optimizer_steps_reduce_the_loss_on_a_fixed_batch(string name)
    {
        using var model = ModelTestKit.Create(name);
        var spec = ModelTestKit.Spec(name);
        model.train();
        var tokens = ModelTestKit.RandomTokens(4, spec.MaxLength, spec.Vocab, seed: 21);
        var optimizer = optim.Adam(model.parameters(), lr: 1e-2);

        double Step()
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var logits = model.call(tokens);
            var loss = nn.functional.cross_entropy(logits.reshape(-1, spec.Vocab), tokens.reshape(-1));
            loss.backward();
            optimizer.step();
            return loss.item<double>();
        }

        double first = Step();
        double last = first;
        for (int i = 0; i < 30; i++)
            last = Step();

        Assert.True(last < 0.8 * first, $"loss went from {first} to {last}");
    }

    [Fact]
    public void Generated_spec_is_the_declaration_with_defaults_resolved()
    {
        var spec = TinyEncoder.Spec;

        Assert.Equal(nameof(TinyEncoder), spec.Name);
        Assert.Equal((16, 12, 2, 12, false), (spec.Vocab, spec.Dim, spec.Depth, spec.MaxLength, spec.Causal));
        Assert.Equal(Specs.ModelSpec.EveryLayer(new Specs.FullAttentionSpec(3)), spec.Attention);
        Assert.Equal(new Specs.FeedForwardSpec(48, Activation.Relu), spec.FeedForward);   // Hidden defaults to 4·Dim
        Assert.Equal(new Specs.PositionSpec(PositionEncoding.Sinusoidal, 10000.0), spec.Positions);
        Assert.Equal(new Specs.NormSpec(NormKind.LayerNorm, NormPlacement.Post, 1e-5), spec.Normalization);
        Assert.Empty(spec.Validate());
        Assert.Same(spec, TinyEncoder.Card.Spec);
    }

    [Fact]
    public void Each_layer_gets_the_attention_its_declaration_assigns()
    {
        using var model = ModelTestKit.Create(nameof(TinyHybrid));
        var attention = model.named_modules().Where(m => m.name.EndsWith(".attn", StringComparison.Ordinal))
            .ToDictionary(m => m.name, m => m.module.GetType().Name);

        // [FullAttention(Heads = 2)] takes the rest, Every = 2 takes layers 1 and 3, Layers = { 0 } takes layer 0.
        Assert.Equal(new Dictionary<string, string>
        {
            ["layers.0.attn"] = nameof(TinyHybrid.FullAttentionLayer3),
            ["layers.1.attn"] = nameof(TinyHybrid.FullAttentionLayer2),
            ["layers.2.attn"] = nameof(TinyHybrid.FullAttentionLayer1),
            ["layers.3.attn"] = nameof(TinyHybrid.FullAttentionLayer2),
        }, attention);
        Assert.Equal((4, 2, 8), (TinyHybrid.FullAttentionLayer1.Kernel.HeadDim, TinyHybrid.FullAttentionLayer2.Kernel.HeadDim, TinyHybrid.FullAttentionLayer3.Kernel.HeadDim));
        Assert.Equal(new[] { 1, 4, 2, 4 }, Enumerable.Range(0, 4).Select(layer => TinyHybrid.Spec.AttentionAt(layer).Heads));
        // The parameter names do not depend on the attention class.
        Assert.Contains("layers.1.attn.q_proj.weight", model.state_dict().Keys);
    }

    private static bool Same(Tensor a, Tensor b) => a.eq(b).all().item<bool>();

    private static IEnumerable<string> WeightAndBias(string module) => new[] { module + ".weight", module + ".bias" };
}
