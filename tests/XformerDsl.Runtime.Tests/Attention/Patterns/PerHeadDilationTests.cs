using TorchSharp;
using XformerDsl;
using XformerDsl.Attention.Patterns;
using XformerDsl.Specs;
using Xunit;
using static TorchSharp.torch;
using static XformerDsl.Tests.Attention.AttentionKernelKit;

namespace XformerDsl.Tests.Attention.Patterns;

// Runs of heads that share a dilation, one of them not contiguous with its twin (3, 3 between 1 and 2), a window that
// reaches past the 64-key tiles, global tokens, and a sequence cut short of MaxLength.
[Transformer(Vocab = 4, Dim = 32, Depth = 1, MaxLength = 256)]
[SlidingWindowAttention(Heads = 4, Window = 24, Dilations = new[] { 1, 3, 3, 2 }, GlobalTokens = 2)]
public partial class DilatedCausal;

[Transformer(Vocab = 4, Dim = 32, Depth = 1, MaxLength = 200, Causal = false)]
[SlidingWindowAttention(Heads = 2, Window = 9, Dilations = new[] { 2, 5 })]
public partial class DilatedBidirectional;

/// <summary>
/// Sliding-window attention with a dilation per head: the generated layer (each run of heads through its dilation's
/// kernel) against a reference built head by head, each head the dense-mask reference of a one-head declaration with
/// that head's dilation; and locality per head, a key outside head h's own pattern never moves head h's output.
/// </summary>
public class PerHeadDilationTests
{
    public static TheoryData<string, int, int, bool> Cases() => new()
    {
        // model, batch, seq, masked
        { nameof(DilatedCausal), 2, 256, true },
        { nameof(DilatedCausal), 1, 131, false },
        { nameof(DilatedBidirectional), 3, 200, false },
        { nameof(DilatedBidirectional), 2, 77, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_head_matches_the_reference_of_its_own_dilation_in_values_and_gradients(string name, int batch, int seq, bool masked)
    {
        var (spec, attend) = Model(name);
        var sliding = (SlidingWindowAttentionSpec)spec.Attention[0].Attention;
        int heads = sliding.Heads, headDim = spec.Dim / heads;
        using var scope = NewDisposeScope();
        var generator = new torch.Generator((ulong)seq);
        var q = randn(new long[] { batch, heads, seq, headDim }, generator: generator);
        var k = randn(new long[] { batch, heads, seq, headDim }, generator: generator);
        var v = randn(new long[] { batch, heads, seq, headDim }, generator: generator);
        var upstream = randn(new long[] { batch, heads, seq, headDim }, generator: generator);
        var mask = masked ? RandomPadding(batch, seq, seed: seq) : null;

        Tensor Reference(Tensor query, Tensor key, Tensor value) => cat(Enumerable.Range(0, heads).Select(h =>
        {
            var own = new SlidingWindowAttentionSpec(1, sliding.Window, Dilation: sliding.Dilations![h], GlobalTokens: sliding.GlobalTokens);
            return PatternAttentionReference.Forward(query.narrow(1, h, 1), key.narrow(1, h, 1), value.narrow(1, h, 1), own, spec.Causal, mask);
        }).ToArray(), 1);

        var (fused, fusedGradients) = ValueAndGradients((query, key, value) => attend(query, key, value, mask), q, k, v, upstream);
        var (reference, referenceGradients) = ValueAndGradients(Reference, q, k, v, upstream);

        AssertClose(reference, fused, "output");
        foreach (var (what, expected) in referenceGradients)
            AssertClose(expected, fusedGradients[what], what);
    }

    [Theory]
    [InlineData(nameof(DilatedCausal), 150)]
    [InlineData(nameof(DilatedBidirectional), 90)]
    public void A_key_outside_a_heads_own_pattern_does_not_change_that_heads_output(string name, int query)
    {
        var (spec, attend) = Model(name);
        var sliding = (SlidingWindowAttentionSpec)spec.Attention[0].Attention;
        int heads = sliding.Heads, headDim = spec.Dim / heads, seq = spec.MaxLength;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new torch.Generator(4);
        var q = randn(new long[] { 1, heads, seq, headDim }, generator: generator);
        var k = randn(new long[] { 1, heads, seq, headDim }, generator: generator);
        var v = randn(new long[] { 1, heads, seq, headDim }, generator: generator);
        var before = attend(q, k, v, null)[0, .., query];
        // Sequence b of the batch has the key and value at position b changed.
        var changedKeys = k.expand(seq, heads, seq, headDim).clone();
        var changedValues = v.expand(seq, heads, seq, headDim).clone();
        for (int position = 0; position < seq; position++)
        {
            changedKeys[position, .., position] = changedKeys[position, .., position] + 1;
            changedValues[position, .., position] = changedValues[position, .., position] + 1;
        }
        var after = attend(q.expand(seq, heads, seq, headDim), changedKeys, changedValues, null)[.., .., query];
        for (int head = 0; head < heads; head++)
        {
            var own = new SlidingWindowAttentionSpec(1, sliding.Window, Dilation: sliding.Dilations![head], GlobalTokens: sliding.GlobalTokens);
            var moved = Enumerable.Range(0, seq).Where(position => !after[position, head].eq(before[head]).all().item<bool>());
            var expected = Enumerable.Range(0, seq).Where(key => own.Sees(query, key, spec.Causal));
            Assert.Equal(expected, moved);
        }
    }

    private static (ModelSpec Spec, Func<Tensor, Tensor, Tensor, Tensor?, Tensor> Attend) Model(string name) => name switch
    {
        nameof(DilatedCausal) => (DilatedCausal.Spec, DilatedCausal.SelfAttention.Attend),
        nameof(DilatedBidirectional) => (DilatedBidirectional.Spec, DilatedBidirectional.SelfAttention.Attend),
        _ => throw new ArgumentException(name),
    };

    // The output, and the gradients of sum(output ⊙ upstream) with respect to query, key and value.
    private static (Tensor Output, Dictionary<string, Tensor> Gradients) ValueAndGradients(Func<Tensor, Tensor, Tensor, Tensor> attend,
        Tensor q, Tensor k, Tensor v, Tensor upstream)
    {
        using var enabled = enable_grad();
        var (query, key, value) = (q.detach().requires_grad_(), k.detach().requires_grad_(), v.detach().requires_grad_());
        var output = attend(query, key, value);
        var grads = torch.autograd.grad([(output * upstream).sum()], [query, key, value]);
        return (output.detach(), new Dictionary<string, Tensor> { ["query gradient"] = grads[0], ["key gradient"] = grads[1], ["value gradient"] = grads[2] });
    }
}
