using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Reformer;

/// <summary>
/// [Reversible]: reconstructing the blocks' inputs in the backward pass gives the gradients plain autograd gives the
/// same model (same weights, same dropout draws), the model stays causal, and the parameters are the plain model's.
/// </summary>
public class ReversibleModelTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Reconstructed_gradients_equal_stored_activation_gradients(bool training)
    {
        torch.manual_seed(8);
        using var model = new TinyReversible();
        model.to(float64);
        model.train(training);
        using var scope = NewDisposeScope();
        var tokens = randint(16, new[] { 2L, 12 }, dtype: int64);
        var mask = ones(new[] { 2L, 12 }, dtype: @bool);
        mask[1, ..3] = false;

        Tensor Forward(nn.Module m) => ((TinyReversible)m).forward(tokens, mask);
        model.ReconstructInBackward = true;
        torch.manual_seed(99);
        var (logits, grads) = ChunkedFeedForwardTests.LogitsAndGradients(model, Forward, tokens);
        model.ReconstructInBackward = false;
        torch.manual_seed(99);
        var (expectedLogits, expectedGrads) = ChunkedFeedForwardTests.LogitsAndGradients(model, Forward, tokens);

        Assert.True(logits.eq(expectedLogits).all().item<bool>(), "the forward pass must not depend on how the backward pass works");
        foreach (var (name, grad) in expectedGrads)
            Assert.True(grads[name].allclose(grad, rtol: 1e-8, atol: 1e-11), $"{name}: max difference {(grads[name] - grad).abs().max().item<double>()}");
    }

    [Fact]
    public void Reconstructed_gradients_equal_stored_activation_gradients_with_mixed_attention()
    {
        torch.manual_seed(4);
        using var model = new TinyReversibleHybrid();
        model.to(float64);
        using var scope = NewDisposeScope();
        var tokens = randint(12, new[] { 3L, 10 }, dtype: int64);

        Tensor Forward(nn.Module m) => ((TinyReversibleHybrid)m).forward(tokens);
        var (_, grads) = ChunkedFeedForwardTests.LogitsAndGradients(model, Forward, tokens);
        model.ReconstructInBackward = false;
        var (_, expectedGrads) = ChunkedFeedForwardTests.LogitsAndGradients(model, Forward, tokens);

        Assert.Equal(model.parameters().Count(), grads.Count);
        foreach (var (name, grad) in expectedGrads)
            Assert.True(grads[name].allclose(grad, rtol: 1e-8, atol: 1e-11), name);
    }

    [Fact]
    public void Reversible_model_logits_do_not_depend_on_later_tokens()
    {
        torch.manual_seed(2);
        using var model = new TinyReversible();
        model.to(float64);
        model.eval();
        using var scope = NewDisposeScope();
        var tokens = randint(16, new[] { 2L, 12 }, dtype: int64);
        var edited = tokens.clone();
        edited[.., 7] = (tokens[.., 7] + 1) % 16;

        var before = model.forward(tokens);
        var after = model.forward(edited);

        Assert.True(before[.., ..7].allclose(after[.., ..7], rtol: 0, atol: 1e-12));
        Assert.False(before[.., 7..].allclose(after[.., 7..], rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void Card_counts_the_parameters_and_the_spec_says_reversible()
    {
        using var model = new TinyReversible();
        Assert.Equal(model.parameters().Sum(p => p.numel()), TinyReversible.Card.ParameterCount);
        Assert.True(TinyReversible.Spec.Reversible);
        Assert.Equal(3, TinyReversible.Spec.FeedForward.Chunks);
    }

    [Fact]
    public void Training_steps_reduce_the_loss()
    {
        torch.manual_seed(6);
        using var model = new TinyReversibleHybrid();
        model.train();
        var tokens = randint(12, new[] { 4L, 10 }, dtype: int64);
        var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        double Step()
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var logits = model.forward(tokens);
            var loss = nn.functional.cross_entropy(logits.reshape(-1, 12), tokens.reshape(-1));
            loss.backward();
            optimizer.step();
            return loss.item<float>();
        }
        double first = Step(), last = first;
        for (int i = 0; i < 30; i++)
            last = Step();
        Assert.True(last < 0.8 * first, $"loss went from {first} to {last}");
    }
}
