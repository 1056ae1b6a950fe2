using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Reformer;

/// <summary>
/// Generated models with [LshAttention]: deterministic in evaluation, fresh and reproducible hashing in training,
/// exact gradients under reversibility, and causal models whose logits at t depend on tokens up to t only.
/// </summary>
public class LshModelTests
{
    [Fact]
    public void Causal_model_logits_up_to_t_are_bit_identical_when_later_tokens_change()
    {
        torch.manual_seed(4);
        using var model = new TinyLsh();
        model.eval();
        using var scope = NewDisposeScope();
        var tokens = randint(16, new[] { 2L, 32 }, dtype: int64, generator: new torch.Generator(12));
        foreach (int t in new[] { 3, 9, 17, 26 })
        {
            var changed = tokens.clone();
            changed[.., (t + 1)..] = (changed[.., (t + 1)..] + 1 + t % 5) % 16;
            var before = model.forward(tokens)[.., ..(t + 1)];
            var after = model.forward(changed)[.., ..(t + 1)];
            Assert.True(before.eq(after).all().item<bool>(),
                $"tokens after {t} changed the logits at or before {t} by up to {(before - after).abs().max().item<float>()}");
        }
    }

    [Fact]
    public void Evaluation_is_deterministic_and_training_hashes_afresh()
    {
        torch.manual_seed(2);
        using var model = new TinyLsh();
        using var scope = NewDisposeScope();
        var tokens = randint(16, new[] { 1L, 32 }, dtype: int64);
        model.eval();
        Assert.True(model.forward(tokens).eq(model.forward(tokens)).all().item<bool>());
        model.train();
        torch.manual_seed(5);
        var first = model.forward(tokens);
        var second = model.forward(tokens);
        torch.manual_seed(5);
        var replay = model.forward(tokens);
        Assert.False(first.allclose(second), "training should draw new hashes each pass");
        Assert.True(first.eq(replay).all().item<bool>(), "torch.manual_seed should reproduce the training hashes");
    }

    [Fact]
    public void Reversible_reformer_gradients_equal_stored_activation_gradients()
    {
        torch.manual_seed(3);
        using var model = new TinyReformer();
        model.to(float64);
        model.train();
        using var scope = NewDisposeScope();
        var tokens = randint(16, new[] { 2L, 27 }, dtype: int64);

        Tensor Forward(nn.Module m) => ((TinyReformer)m).forward(tokens);
        torch.manual_seed(7);
        var (logits, grads) = ChunkedFeedForwardTests.LogitsAndGradients(model, Forward, tokens);
        model.ReconstructInBackward = false;
        torch.manual_seed(7);
        var (expectedLogits, expectedGrads) = ChunkedFeedForwardTests.LogitsAndGradients(model, Forward, tokens);

        Assert.True(logits.eq(expectedLogits).all().item<bool>());
        foreach (var (name, grad) in expectedGrads)
            Assert.True(grads[name].allclose(grad, rtol: 1e-8, atol: 1e-11), $"{name}: max difference {(grads[name] - grad).abs().max().item<double>()} of max {grad.abs().max().item<double>()}");
    }

    [Fact]
    public void Card_counts_shared_query_key_projections()
    {
        using var model = new TinyLsh();
        Assert.Equal(model.parameters().Sum(p => p.numel()), TinyLsh.Card.ParameterCount);
        Assert.Contains("layers.0.attn.qk_proj.weight", model.state_dict().Keys);
    }
}
