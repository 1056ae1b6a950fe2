using TorchSharp;
using XformerDsl.Autograd;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Reformer;

/// <summary>
/// [FeedForward(Chunks = n)]: the chunked model computes the unchunked model's logits and gradients, and the chunked
/// node replays dropout exactly in its backward recomputation.
/// </summary>
public class ChunkedFeedForwardTests
{
    [Theory]
    [InlineData(12)]   // MaxLength: 4 pieces of 3
    [InlineData(10)]   // 3 pieces of 3 and one of 1
    [InlineData(2)]    // shorter than one piece: the plain path
    public void Chunked_model_equals_the_unchunked_model_in_logits_and_gradients(long seq)
    {
        torch.manual_seed(5);
        using var chunked = new TinyChunked();
        using var plain = new TinyUnchunked();
        plain.load_state_dict(chunked.state_dict());
        chunked.to(float64);
        plain.to(float64);
        using var scope = NewDisposeScope();
        var tokens = randint(16, new[] { 3L, seq }, dtype: int64);

        var (chunkedLogits, chunkedGrads) = LogitsAndGradients(chunked, m => ((TinyChunked)m).forward(tokens), tokens);
        var (plainLogits, plainGrads) = LogitsAndGradients(plain, m => ((TinyUnchunked)m).forward(tokens), tokens);

        Assert.True(chunkedLogits.allclose(plainLogits, rtol: 1e-10, atol: 1e-12));
        Assert.Equal(plainGrads.Keys.Order(), chunkedGrads.Keys.Order());
        foreach (var (name, grad) in plainGrads)
            Assert.True(chunkedGrads[name].allclose(grad, rtol: 1e-9, atol: 1e-12), name);
    }

    [Fact]
    public void Backward_recomputation_draws_the_same_dropout_masks()
    {
        using var scope = NewDisposeScope();
        var generator = new torch.Generator(17);
        var weight = randn(new[] { 6L, 6 }, dtype: float64, generator: generator).requires_grad_(true);
        var x = randn(new[] { 2L, 11, 6 }, dtype: float64, generator: generator).requires_grad_(true);
        var gradOutput = randn(new[] { 2L, 11, 6 }, dtype: float64, generator: generator);
        Tensor Function(Tensor piece) => nn.functional.dropout(nn.functional.gelu(piece.matmul(weight)), 0.5, training: true);

        // The node: forward in pieces of 4 without autograd, backward recomputing each piece.
        torch.manual_seed(3);
        var output = SequenceChunks.Apply(Function, x, chunkLength: 4, new[] { weight });
        output.backward([gradOutput]);
        var (xGrad, weightGrad) = (x.grad!.clone(), weight.grad!.clone());
        x.grad!.zero_();
        weight.grad!.zero_();

        // Plain autograd over the same pieces, drawing the same masks in the same order.
        torch.manual_seed(3);
        var pieces = new[] { (0L, 4L), (4L, 4L), (8L, 3L) }.Select(p => Function(x.narrow(1, p.Item1, p.Item2))).ToList();
        var expected = cat(pieces, 1);
        expected.backward([gradOutput]);

        Assert.True(output.eq(expected).all().item<bool>(), "forward differs");
        Assert.True(xGrad.allclose(x.grad!, rtol: 1e-12, atol: 1e-14), "input gradient differs");
        Assert.True(weightGrad.allclose(weight.grad!, rtol: 1e-12, atol: 1e-14), "weight gradient differs");
        Assert.True(output.eq(0).any().item<bool>(), "dropout should have dropped something");
    }

    [Fact]
    public void Bad_chunk_length_and_rank_throw_with_the_shape()
    {
        using var x = zeros(2, 5);
        var rank = Assert.Throws<ArgumentException>(() => SequenceChunks.Apply(t => t, x, 2, Array.Empty<Tensor>()));
        Assert.Contains("[2, 5]", rank.Message);
        using var y = zeros(1, 4, 2);
        Assert.Throws<ArgumentException>(() => SequenceChunks.Apply(t => t, y, 0, Array.Empty<Tensor>()));
    }

    internal static (Tensor Logits, Dictionary<string, Tensor> Grads) LogitsAndGradients(nn.Module model, Func<nn.Module, Tensor> forward, Tensor tokens)
    {
        model.zero_grad();
        var logits = forward(model);
        var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), tokens.reshape(-1));
        loss.backward();
        var grads = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        return (logits.detach(), grads);
    }
}
