using TorchSharp;
using XformerDsl.Attention.Linear;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Attention.Linear;

/// <summary>
/// Generated models of <c>[LinearAttention]</c>: their card, their state dict, causality, padding, trainable T2R
/// features, and the FAVOR+ redraw schedule.
/// </summary>
public class LinearModelTests
{
    private static nn.Module<Tensor, Tensor> Create(string name)
    {
        torch.manual_seed(99);
        nn.Module<Tensor, Tensor> model = name switch
        {
            nameof(TinyLinearElu) => new TinyLinearElu(),
            nameof(TinyLinearReluEncoder) => new TinyLinearReluEncoder(),
            nameof(TinyPerformer) => new TinyPerformer(),
            nameof(TinyT2R) => new TinyT2R(),
            _ => throw new ArgumentException(name),
        };
        model.to(float64);
        model.eval();
        return model;
    }

    private static Specs.ModelSpec Spec(string name) => name switch
    {
        nameof(TinyLinearElu) => TinyLinearElu.Spec,
        nameof(TinyLinearReluEncoder) => TinyLinearReluEncoder.Spec,
        nameof(TinyPerformer) => TinyPerformer.Spec,
        _ => TinyT2R.Spec,
    };

    private static Tensor Forward(nn.Module<Tensor, Tensor> model, Tensor tokens, Tensor? mask) => model switch
    {
        TinyLinearElu m => m.forward(tokens, mask),
        TinyLinearReluEncoder m => m.forward(tokens, mask),
        TinyPerformer m => m.forward(tokens, mask),
        TinyT2R m => m.forward(tokens, mask),
        _ => throw new ArgumentException(model.GetType().Name),
    };

    private static Tensor Tokens(long batch, long seq, int seed)
    {
        var generator = new Generator((ulong)seed);
        return randint(16, new[] { batch, seq }, dtype: int64, generator: generator);
    }

    [Fact]
    public void T2R_has_trainable_features_per_head_and_they_get_gradients()
    {
        using var model = Create(nameof(TinyT2R));
        var names = model.named_parameters().Select(p => p.name).ToList();
        Assert.Contains("layers.0.attn.feature_weight", names);
        Assert.Contains("layers.0.attn.feature_bias", names);
        var weight = model.named_parameters().First(p => p.name == "layers.0.attn.feature_weight").parameter;
        Assert.Equal(new long[] { 2, 12, 8 }, weight.shape);

        model.call(Tokens(2, 9, seed: 1)).sum().backward();

        Assert.True(weight.grad is not null && weight.grad.abs().sum().item<double>() > 0, "W got no gradient");
    }

    [Theory]
    [InlineData(nameof(TinyLinearElu))]
    [InlineData(nameof(TinyPerformer))]
    [InlineData(nameof(TinyT2R))]
    public void Causal_model_logits_do_not_depend_on_later_tokens(string name)
    {
        using var model = Create(name);
        using var scope = NewDisposeScope();
        const long seq = 17, changed = 9;
        var tokens = Tokens(2, seq, seed: 11);
        var edited = tokens.clone();
        edited[.., changed] = (tokens[.., changed] + 1) % 16;

        var before = model.call(tokens);
        var after = model.call(edited);

        Assert.True(before[.., ..(int)changed].allclose(after[.., ..(int)changed], rtol: 1e-12, atol: 1e-12), "a position before the edit saw the edited token");
        Assert.False(before[.., (int)changed].allclose(after[.., (int)changed]), "the edited position did not change");
    }

    [Theory]
    [InlineData(nameof(TinyLinearReluEncoder), false)]
    [InlineData(nameof(TinyLinearElu), true)]
    [InlineData(nameof(TinyPerformer), true)]
    public void Padded_keys_do_not_influence_real_positions(string name, bool padAtStart)
    {
        using var model = Create(name);
        using var scope = NewDisposeScope();
        const long seq = 10, padded = 3;
        var positions = arange(seq).unsqueeze(0).expand(2, seq);
        var mask = padAtStart ? positions >= padded : positions < seq - padded;
        var real = padAtStart ? arange(padded, seq) : arange(0, seq - padded);
        var tokens = Tokens(2, seq, seed: 5);
        var otherPadding = where(mask, tokens, (tokens + 1) % 16);

        var before = Forward(model, tokens, mask);
        var after = Forward(model, otherPadding, mask);
        var unmasked = Forward(model, otherPadding, null);

        Assert.True(before.index_select(1, real).allclose(after.index_select(1, real), rtol: 1e-12, atol: 1e-12), "real positions saw padded tokens");
        Assert.False(before.index_select(1, real).allclose(unmasked.index_select(1, real)), "without the mask the padding should matter");
    }

    [Fact]
    public void Favor_features_are_buffers_redrawn_deterministically_every_RedrawEvery_training_steps()
    {
        using var first = Create(nameof(TinyPerformer));
        using var second = Create(nameof(TinyPerformer));
        var buffers = first.named_buffers().Select(b => b.name).ToList();
        Assert.Contains("layers.0.attn.feature_projection", buffers);
        Assert.Contains("layers.0.attn.feature_steps", buffers);
        Assert.Contains("layers.0.attn.feature_projection", first.state_dict().Keys);
        Tensor Projection(nn.Module<Tensor, Tensor> model) => model.named_buffers().First(b => b.name == "layers.1.attn.feature_projection").buffer;

        // Draw 0 comes from Seed = 7, the same for every model of the declaration.
        Assert.True(Projection(first).allclose(FavorFeatures.Draw(24, 8, seed: 7, draw: 0)));
        var initial = Projection(first).clone();
        var tokens = Tokens(1, 6, seed: 2);
        first.train();
        second.train();
        using (no_grad())
        {
            for (int step = 1; step <= 3; step++)
            {
                first.call(tokens);
                second.call(tokens);
                if (step < 3)
                    Assert.True(Projection(first).eq(initial).all().item<bool>(), $"redrawn early, at step {step}");
            }
        }

        Assert.False(Projection(first).allclose(initial), "not redrawn after RedrawEvery = 3 steps");
        Assert.True(Projection(first).allclose(FavorFeatures.Draw(24, 8, seed: 7, draw: 1)), "draw 1 is not the seed's");
        Assert.True(Projection(first).eq(Projection(second)).all().item<bool>(), "two runs drew differently");

        // Evaluation does not count as training.
        first.eval();
        using (no_grad())
            for (int step = 0; step < 3; step++)
                first.call(tokens);
        Assert.True(Projection(first).allclose(FavorFeatures.Draw(24, 8, seed: 7, draw: 1)));
    }
}
