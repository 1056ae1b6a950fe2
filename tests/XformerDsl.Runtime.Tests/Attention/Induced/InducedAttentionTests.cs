using TorchSharp;
using XformerDsl.Attention.Full;
using XformerDsl.Modules;
using XformerDsl.Tests.Models;
using Xunit;
using static TorchSharp.torch;
using static XformerDsl.Tests.Attention.AttentionKernelKit;
using static XformerDsl.Tests.Attention.LayerCompositionKit;

namespace XformerDsl.Tests.Attention.Induced;

/// <summary>
/// The generated inducing-point attention (Set Transformer's ISAB) against a composition of TorchSharp ops from its own
/// named parameters, values and gradients, with padding, odd lengths and batches; its kernel with points and tokens as
/// queries against the reference and float64 finite differences; equivariance of the layer and of a model without
/// positions; padding never reaching the points; attention pooling's invariance to the order of the real tokens and to
/// padding; the card's count.
/// </summary>
public class InducedAttentionTests
{
    private const int Dim = 16;

    private static readonly Dictionary<string, KernelCase> s_kernels = new[]
    {
        KernelCase.Of<TinySetClassifier.SelfAttention.Kernel>(nameof(TinySetClassifier), causal: false),
        KernelCase.Of<TinyInducedClassifier.SelfAttention.Kernel>(nameof(TinyInducedClassifier), causal: false),
    }.ToDictionary(k => k.Name);

    private static Tensor Linear(Dictionary<string, Tensor> p, string name, Tensor x) =>
        nn.functional.linear(x, p[name + ".weight"], p.GetValueOrDefault(name + ".bias"));

    private static Tensor Norm(Dictionary<string, Tensor> p, string name, Tensor x, bool rmsNorm) => rmsNorm
        ? x / (x.pow(2).mean(new long[] { -1 }, keepdim: true) + 1e-5).sqrt() * p[name + ".weight"]
        : nn.functional.layer_norm(x, new long[] { x.shape[^1] }, p[name + ".weight"], p.GetValueOrDefault(name + ".bias"), 1e-5);

    // softmax(q kᵀ / √headDim) v over [batch, rows, Dim] inputs split into heads, written out here rather than borrowed;
    // keys false in the mask get no weight.
    private static Tensor Attention(Tensor q, Tensor k, Tensor v, Tensor? mask, int heads)
    {
        long batch = k.shape[0], queries = q.shape[^2], keys = k.shape[1], headDim = Dim / heads;
        var qh = q.reshape(-1, queries, heads, headDim).transpose(1, 2);
        var kh = k.view(batch, keys, heads, headDim).transpose(1, 2);
        var vh = v.view(batch, keys, heads, headDim).transpose(1, 2);
        var scores = matmul(qh, kh.transpose(2, 3)) / Math.Sqrt(headDim);
        if (mask is not null)
            scores = scores.masked_fill(mask.logical_not().view(batch, 1, 1, keys), double.NegativeInfinity);
        return matmul(scores.softmax(-1), vh).transpose(1, 2).reshape(batch, queries, Dim);
    }

    // ISAB as the paper writes it, from the layer's parameters by name: H = MAB(I, X) over the real tokens, with the
    // inner block's residual on the points' queries, norm, row-wise feed-forward and norm; then every token attends to H.
    private static Tensor Composed(Dictionary<string, Tensor> p, Tensor x, Tensor? mask, int heads, bool rmsNorm)
    {
        var pointQueries = Linear(p, "induce.q_proj", p["induce.seeds"]);
        var inner = Attention(pointQueries, Linear(p, "induce.k_proj", x), Linear(p, "induce.v_proj", x), mask, heads);
        var h = Norm(p, "induce.norm", pointQueries + inner, rmsNorm);
        var summaries = Norm(p, "induce.ff_norm", h + nn.functional.relu(Linear(p, "induce.ff", h)), rmsNorm);
        var outer = Attention(Linear(p, "q_proj", x), Linear(p, "k_proj", summaries), Linear(p, "v_proj", summaries), null, heads);
        return Linear(p, "out_proj", outer);
    }

    private static (nn.Module Module, Func<Tensor, Tensor?, Tensor> Forward, int Heads, bool RmsNorm) Layer(string model) => model switch
    {
        nameof(TinySetClassifier) => Wrap(new TinySetClassifier.SelfAttention(), (l, x, m) => l.forward(x, m), 2, false),
        nameof(TinyInducedClassifier) => Wrap(new TinyInducedClassifier.SelfAttention(), (l, x, m) => l.forward(x, m), 4, true),
        _ => throw new ArgumentException(model),
    };

    private static (nn.Module, Func<Tensor, Tensor?, Tensor>, int, bool) Wrap<T>(T layer, Func<T, Tensor, Tensor?, Tensor> forward, int heads, bool rmsNorm)
        where T : nn.Module
    {
        layer.to(float64);
        return (layer, (x, m) => forward(layer, x, m), heads, rmsNorm);
    }

    public static TheoryData<string, int, int, bool> LayerCases() => new()
    {
        // model, batch, seq, padded
        { nameof(TinySetClassifier), 2, 9, true },
        { nameof(TinySetClassifier), 3, 12, false },
        { nameof(TinySetClassifier), 1, 1, false },
        { nameof(TinyInducedClassifier), 2, 11, true },
        { nameof(TinyInducedClassifier), 1, 3, false },
    };

    [Theory]
    [MemberData(nameof(LayerCases))]
    public void Layer_output_and_gradients_equal_the_composed_blocks(string model, int batch, int seq, bool padded)
    {
        var (module, forward, heads, rmsNorm) = Layer(model);
        Randomise(module, seed: 3 + seq);
        var p = NamedParameters(module);
        manual_seed(11);
        var x = randn(batch, seq, Dim, dtype: float64);
        Tensor? mask = null;
        if (padded)
        {
            mask = ones(batch, seq, dtype: @bool);
            mask[batch - 1, (seq - 3)..] = false;
        }
        var upstream = randn(batch, seq, Dim, dtype: float64);

        AssertLayerMatchesComposition(model, module, input => forward(input, mask), input => Composed(p, input, mask, heads, rmsNorm), x, upstream);
    }

    [Theory]
    [InlineData(nameof(TinySetClassifier), 2, 3, 12, true)]    // the points over the tokens, with padding
    [InlineData(nameof(TinySetClassifier), 3, 7, 3, false)]    // the tokens over the summaries
    [InlineData(nameof(TinyInducedClassifier), 2, 5, 11, true)]
    [InlineData(nameof(TinyInducedClassifier), 1, 12, 5, false)]
    public void Kernel_with_queries_and_keys_of_different_lengths_matches_the_reference(string kernel, int batch, int queries, int keys, bool padded)
    {
        var k = s_kernels[kernel];
        using var scope = NewDisposeScope();
        manual_seed(queries + keys);
        int heads = Dim / k.HeadDim;
        var (query, key, value) = (randn(batch, heads, queries, k.HeadDim), randn(batch, heads, keys, k.HeadDim), randn(batch, heads, keys, k.HeadDim));
        var mask = padded ? RandomPadding(batch, keys, seed: keys) : null;

        AssertMatchesBidirectionalReference(k, query, key, value, mask);
    }

    [Fact]
    public void Kernel_gradients_with_padded_keys_match_float64_finite_differences()
    {
        var k = s_kernels[nameof(TinySetClassifier)];
        using var scope = NewDisposeScope();
        manual_seed(17);
        var query = randn(2, 2, 3, k.HeadDim, dtype: float64).requires_grad_();
        var key = randn(2, 2, 9, k.HeadDim, dtype: float64).requires_grad_();
        var value = randn(2, 2, 9, k.HeadDim, dtype: float64).requires_grad_();
        var mask = RandomPadding(2, 9, seed: 5);
        var weights = randn(2, 2, 3, k.HeadDim, dtype: float64);
        Tensor Loss(Tensor q, Tensor kk, Tensor v) => (k.Apply(q, kk, v, mask) * weights).sum();

        AssertGradientsMatchFiniteDifferences(Loss, query, key, value);
    }

    [Theory]
    [InlineData(nameof(TinySetClassifier))]
    [InlineData(nameof(TinyInducedClassifier))]
    public void Layer_is_permutation_equivariant_and_padding_never_reaches_the_points_even_when_all_is_padding(string model)
    {
        var (module, forward, _, _) = Layer(model);
        Randomise(module, seed: 8);
        manual_seed(19);
        var x = randn(2, 10, Dim, dtype: float64);
        var mask = ones(2, 10, dtype: @bool);
        mask[1, 6..] = false;
        var output = forward(x, mask);

        var permutation = randperm(10);
        var permuted = forward(x.index_select(1, permutation), mask.index_select(1, permutation));
        Assert.True(allclose(output.index_select(1, permutation), permuted, rtol: 1e-10, atol: 1e-12), "permuting the tokens did not permute the output");

        // Whatever sits in the padded rows, the real rows come out the same as for the real tokens alone.
        var noise = x.clone();
        noise[1, 6..] = randn(4, Dim, dtype: float64) * 100;
        var alone = forward(x[1..2, ..6], null);
        Assert.True(allclose(forward(noise, mask)[1, ..6], alone[0], rtol: 1e-10, atol: 1e-12), "padding reached the inducing points");

        // A sequence of padding only: the points see nothing and attend to zeros, with no NaN from an empty softmax.
        var empty = mask.clone();
        empty[1] = false;
        Assert.True(forward(x, empty).isfinite().all().item<bool>(), "a sequence of padding only gave a non-finite output");
    }

    [Theory]
    [InlineData(nameof(TinySetClassifier))]
    [InlineData(nameof(TinyAttentionPooledClassifier))]
    public void Attention_pooled_classifier_without_positions_ignores_token_order_and_padding(string model)
    {
        using var classifier = Create(model);
        var tokens = ModelTestKit.RandomTokens(2, 11, 16, seed: 21);
        var mask = ones(2, 11, dtype: @bool);
        mask[0, 7..] = false;
        var logits = Classify(classifier, tokens, mask);

        // Shuffle the real tokens of the padded sequence and put the padding in front: the logits stay.
        var shuffled = tokens.clone();
        shuffled[0] = cat(new[] { tokens[0, 7..], tokens[0, ..7][randperm(7)] });
        var shuffledMask = ones(2, 11, dtype: @bool);
        shuffledMask[0, ..4] = false;
        Assert.True(allclose(logits, Classify(classifier, shuffled, shuffledMask), rtol: 1e-10, atol: 1e-12), "the pooled vector depends on token order or padding");

        var alone = Classify(classifier, tokens[0..1, ..7], null);
        Assert.True(allclose(logits[0], alone[0], rtol: 1e-10, atol: 1e-12), "a padded batch classifies differently from the sequence alone");
    }

    [Fact]
    public void Padded_batch_with_learned_positions_classifies_like_each_sequence_alone()
    {
        using var classifier = Create(nameof(TinyInducedClassifier));
        var tokens = ModelTestKit.RandomTokens(3, 9, 16, seed: 22);
        var mask = ones(3, 9, dtype: @bool);
        mask[0, 5..] = false;
        mask[2, 8..] = false;
        var batched = Classify(classifier, tokens, mask);
        Assert.True(allclose(batched[0], Classify(classifier, tokens[0..1, ..5], null)[0], rtol: 1e-10, atol: 1e-12), "sequence 0 differs");
        Assert.True(allclose(batched[2], Classify(classifier, tokens[2..3, ..8], null)[0], rtol: 1e-10, atol: 1e-12), "sequence 2 differs");
    }

    [Fact]
    public void Attention_pooling_equals_the_composed_seed_attention_and_refuses_a_misshapen_mask()
    {
        using var pooler = new PoolingByAttention(Dim, 4, 1, bias: true, rmsNorm: false, eps: 1e-5);
        pooler.to(float64);
        Randomise(pooler, seed: 4);
        var p = NamedParameters(pooler);
        manual_seed(6);
        var x = randn(2, 7, Dim, dtype: float64);
        var mask = ones(2, 7, dtype: @bool);
        mask[1, 4..] = false;

        var queries = Linear(p, "q_proj", p["seeds"]);
        var h = Norm(p, "norm", queries + Attention(queries, Linear(p, "k_proj", x), Linear(p, "v_proj", x), mask, 4), rmsNorm: false);
        var expected = Norm(p, "ff_norm", h + nn.functional.relu(Linear(p, "ff", h)), rmsNorm: false).squeeze(1);
        Assert.True(allclose(expected, SequencePooling.Attention(pooler, x, mask), rtol: 1e-10, atol: 1e-12), "attention pooling differs");

        var error = Assert.Throws<ArgumentException>(() => SequencePooling.Attention(pooler, x, ones(2, 6, dtype: @bool)));
        Assert.Contains("[2, 7]", error.Message);
    }

    private static nn.Module Create(string model) => model switch
    {
        nameof(TinySetClassifier) => ModelTestKit.Create(() => new TinySetClassifier()),
        nameof(TinyInducedClassifier) => ModelTestKit.Create(() => new TinyInducedClassifier()),
        nameof(TinyAttentionPooledClassifier) => ModelTestKit.Create(() => new TinyAttentionPooledClassifier()),
        _ => throw new ArgumentException(model),
    };

    private static Tensor Classify(nn.Module model, Tensor tokens, Tensor? mask) => model switch
    {
        TinySetClassifier m => m.forward(tokens, mask),
        TinyInducedClassifier m => m.forward(tokens, mask),
        TinyAttentionPooledClassifier m => m.forward(tokens, mask),
        _ => throw new ArgumentException(model.GetType().Name),
    };
}
