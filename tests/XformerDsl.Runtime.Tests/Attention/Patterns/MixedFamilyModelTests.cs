using TorchSharp;
using XformerDsl;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Attention.Patterns;

/// <summary>A hybrid model as long-context models are built: sliding windows in most layers, full attention every 4th.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 4, MaxLength = 48)]
[SlidingWindowAttention(Heads = 2, Window = 6)]
[FullAttention(Heads = 2, Every = 4)]
[FeedForward(Hidden = 32)]
public partial class SlidingWithFullEveryFourth;

/// <summary>
/// Families mixed across the layers of one declaration: each layer gets the attention the selectors give it, each
/// layer's attention shows its own pattern (a window or everything before the query), and the model trains.
/// </summary>
public class MixedFamilyModelTests
{
    private const int Window = 6;

    [Fact]
    public void Each_layer_gets_the_declared_family()
    {
        using var model = new SlidingWithFullEveryFourth();
        var kinds = Enumerable.Range(0, 4).Select(layer => Attention(model, layer).GetType().Name).ToList();
        Assert.Equal(new[] { "SlidingWindowAttentionLayer", "SlidingWindowAttentionLayer", "SlidingWindowAttentionLayer", "FullAttentionLayer" }, kinds);
    }

    [Fact]
    public void Each_layers_attention_sees_exactly_its_pattern()
    {
        using var model = new SlidingWithFullEveryFourth();
        model.to(float64).eval();
        using var noGrad = no_grad();
        const int seq = 40, query = 30;
        var x = randn(1, seq, 16, dtype: float64, generator: new torch.Generator(5));
        for (int layer = 0; layer < 4; layer++)
        {
            var attention = Attention(model, layer);
            var before = attention.forward(x, null)[0, query];
            // One batch: sequence b has position b changed.
            var changed = x.expand(seq, seq, 16).clone();
            for (int position = 0; position < seq; position++)
                changed[position, position] = changed[position, position] + 1.0;
            var after = attention.forward(changed, null)[.., query];
            var seen = Enumerable.Range(0, seq).Where(position => !after[position].eq(before).all().item<bool>()).ToList();
            // A sliding layer: the Window positions ending at the query; the full layer: every position up to the query.
            var expected = layer == 3 ? Enumerable.Range(0, query + 1) : Enumerable.Range(query - Window + 1, Window);
            Assert.Equal(expected, seen);
        }
    }

    [Fact]
    public void A_few_training_steps_reduce_the_loss_and_reach_every_layer()
    {
        torch.manual_seed(3);
        using var model = new SlidingWithFullEveryFourth();
        model.train();
        var tokens = randint(16, new long[] { 2, 48 }, dtype: int64, generator: new torch.Generator(21));
        var optimizer = optim.Adam(model.parameters(), lr: 2e-2);

        double Step()
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var logits = model.call(tokens);
            var loss = nn.functional.cross_entropy(logits.reshape(-1, 16), tokens.reshape(-1));
            loss.backward();
            foreach (var (name, parameter) in model.named_parameters().Where(p => p.name.Contains(".attn.")))
                Assert.True(parameter.grad is { } g && g.abs().sum().item<float>() > 0, $"{name} got no gradient");
            optimizer.step();
            return loss.item<float>();
        }

        double first = Step();
        double last = first;
        for (int i = 0; i < 12; i++)
            last = Step();
        Assert.True(last < 0.8 * first, $"loss went from {first} to {last}");
    }

    private static SlidingWithFullEveryFourth.SelfAttention Attention(SlidingWithFullEveryFourth model, int layer) =>
        (SlidingWithFullEveryFourth.SelfAttention)model.named_modules().Single(m => m.name == $"layers.{layer}.attn").module;
}
