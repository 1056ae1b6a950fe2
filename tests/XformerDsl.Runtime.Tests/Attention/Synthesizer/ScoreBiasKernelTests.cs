using XformerDsl.Attention.Full;
using XformerDsl.Autograd;
using Xunit;
using static TorchSharp.torch;
using static XformerDsl.Tests.Attention.AttentionKernelKit;

namespace XformerDsl.Tests.Attention.Synthesizer;

/// <summary>
/// The additive score-bias tile of the softmax kernels, tested directly through the synthesizer models' generated
/// kernels: bias-only (causal and bidirectional) and with query–key scores (bidirectional and causal), against
/// <see cref="FullAttentionReference.WithScoreBias"/> in values and in the gradients of query, key, value and bias;
/// a bias shared by the batch (a narrowed view of a MaxLength-sized matrix), per batch element, and broadcast along the
/// queries; padding, odd lengths, batches; float64 finite differences; a zero bias is full attention; a bias-only
/// kernel over log-probabilities weighs the values by those probabilities.
/// </summary>
public class ScoreBiasKernelTests
{
    private sealed record BiasKernel(string Name, bool Causal, bool QueryKey, int HeadDim, int Heads,
        Func<Tensor?, Tensor?, Tensor, Tensor?, Tensor, Tensor> Apply)
    {
        public static BiasKernel Of<TKernel>(string name, bool causal, int heads) where TKernel : IFusedBiasedAttentionKernel =>
            new(name, causal, TKernel.ScoresQueriesAndKeys, TKernel.HeadDim, heads, (q, k, v, mask, bias) => TKernel.ScoresQueriesAndKeys
                ? FusedBiasedAttention<TKernel>.Apply(q!, k!, v, mask, bias)
                : FusedBiasedAttention<TKernel>.ApplyBias(bias, v, mask));
    }

    private static readonly Dictionary<string, BiasKernel> s_kernels = new[]
    {
        BiasKernel.Of<TinyRandomSynthesizer.SelfAttention.Kernel>("bias-only causal", causal: true, heads: 2),
        BiasKernel.Of<TinyDenseSynthesizer.SelfAttention.Kernel>("bias-only causal, head size 4", causal: true, heads: 4),
        BiasKernel.Of<TinyMixedSynthesizer.SelfAttention.Kernel>("query-key and bias", causal: false, heads: 2),
        BiasKernel.Of<TinyFactorizedRandomSynthesizer.SelfAttention.Kernel>("query-key and bias causal", causal: true, heads: 2),
    }.ToDictionary(k => k.Name);

    private const int MaxLength = 12;

    // The bias the kernel is given, made from its leaf: a shared [heads, MaxLength, MaxLength] matrix narrowed to the
    // sequence (read in place), a [batch, heads, seq, seq] tensor, or a [1, heads, 1, seq] row broadcast to every query.
    private static (Tensor Leaf, Func<Tensor, Tensor> View) Bias(string kind, int batch, int heads, int seq, ScalarType dtype)
    {
        var leaf = kind switch
        {
            "shared" => randn(heads, MaxLength, MaxLength, dtype: dtype),
            "per batch" => randn(batch, heads, seq, seq, dtype: dtype),
            _ => randn(1, heads, 1, seq, dtype: dtype),
        };
        Func<Tensor, Tensor> view = kind == "shared" ? b => b.narrow(1, 0, seq).narrow(2, 0, seq) : b => b;
        return (leaf.requires_grad_(), view);
    }

    public static TheoryData<string, int, int, string, bool> Cases() => new()
    {
        // kernel, batch, seq, bias, padded
        { "bias-only causal", 2, 12, "shared", true },
        { "bias-only causal", 3, 7, "per batch", false },
        { "bias-only causal", 1, 1, "shared", false },
        { "bias-only causal, head size 4", 2, 11, "per batch", true },
        { "query-key and bias", 2, 9, "shared", true },
        { "query-key and bias", 3, 12, "per batch", true },
        { "query-key and bias", 2, 5, "broadcast", false },
        { "query-key and bias causal", 2, 11, "shared", true },
        { "query-key and bias causal", 1, 12, "per batch", false },
        // Past one tile: the causal backward skips the query tiles above the diagonal and clears their bias gradient.
        { "bias-only causal", 1, 150, "per batch", true },
        { "query-key and bias causal", 2, 100, "broadcast", false },
        { "query-key and bias", 1, 130, "per batch", false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fused_values_and_gradients_equal_the_reference(string kernel, int batch, int seq, string biasKind, bool padded)
    {
        var k = s_kernels[kernel];
        using var scope = NewDisposeScope();
        var (query, key, value) = Inputs(batch, k.Heads, seq, k.HeadDim, float32, seed: seq + batch);
        var (bias, view) = Bias(biasKind, batch, k.Heads, seq, float32);
        var mask = padded ? RandomPadding(batch, seq, seed: seq) : null;
        var upstream = Upstream(value);

        var (fused, fusedGradients) = Gradients(k.Apply, k.QueryKey, query, key, value, mask, bias, view, upstream);
        var (reference, referenceGradients) = Gradients(
            (q, kk, v, m, b) => FullAttentionReference.WithScoreBias(q, kk, v, b, k.Causal, m), k.QueryKey, query, key, value, mask, bias, view, upstream);

        AssertClose(reference, fused, "output");
        for (int i = 0; i < referenceGradients.Length; i++)
            AssertClose(referenceGradients[i], fusedGradients[i], Name(i, k.QueryKey));
        Assert.Equal(bias.shape, fusedGradients[^1].shape);
    }

    [Theory]
    [InlineData("bias-only causal", "shared")]
    [InlineData("query-key and bias", "per batch")]
    [InlineData("query-key and bias causal", "broadcast")]
    public void Fused_gradients_match_float64_finite_differences(string kernel, string biasKind)
    {
        var k = s_kernels[kernel];
        using var scope = NewDisposeScope();
        var (query, key, value) = Inputs(2, k.Heads, 5, k.HeadDim, float64, seed: 31);
        var (bias, view) = Bias(biasKind, 2, k.Heads, 5, float64);
        var mask = RandomPadding(2, 5, seed: 32);
        var weights = randn(2, k.Heads, 5, k.HeadDim, dtype: float64);
        Tensor[] inputs = k.QueryKey ? [query, key, value, bias] : [value, bias];
        Tensor Loss(Tensor[] x) => k.QueryKey
            ? (k.Apply(x[0], x[1], x[2], mask, view(x[3])) * weights).sum()
            : (k.Apply(null, null, x[0], mask, view(x[1])) * weights).sum();

        AssertGradientsMatchFiniteDifferences(Loss, i => Name(k.QueryKey ? i : i + 2, true), inputs);
    }

    [Theory]
    [InlineData("query-key and bias", 2, 9)]
    [InlineData("query-key and bias causal", 3, 12)]
    public void A_zero_bias_is_full_attention(string kernel, int batch, int seq)
    {
        var k = s_kernels[kernel];
        using var scope = NewDisposeScope();
        var (query, key, value) = Inputs(batch, k.Heads, seq, k.HeadDim, float64, seed: 41);
        var mask = RandomPadding(batch, seq, seed: 42);
        var expected = FullAttentionReference.Forward(query, key, value, k.Causal, mask);
        var actual = k.Apply(query, key, value, mask, zeros(k.Heads, seq, seq, dtype: float64));
        AssertClose(expected, actual, "zero-bias output", tolerance: 1e-10);
    }

    [Fact]
    public void A_bias_only_kernel_over_log_probabilities_weighs_the_values_by_them()
    {
        var k = s_kernels["bias-only causal"];
        using var scope = NewDisposeScope();
        manual_seed(51);
        int batch = 2, seq = 10;
        // Row-stochastic weights that give no weight to later keys: softmax of their logarithm is themselves.
        var weights = rand(k.Heads, seq, seq, dtype: float64).tril() + eye(seq, dtype: float64);
        weights = weights / weights.sum(-1, keepdim: true);
        var value = randn(batch, k.Heads, seq, k.HeadDim, dtype: float64);
        var actual = k.Apply(null, null, value, null, weights.log());
        AssertClose(matmul(weights, value), actual, "weighted values", tolerance: 1e-10);
    }

    [Fact]
    public void A_bias_of_the_wrong_shape_or_a_query_for_a_bias_only_kernel_is_refused_with_the_fix()
    {
        var biasOnly = s_kernels["bias-only causal"];
        using var scope = NewDisposeScope();
        var (query, key, value) = Inputs(2, 2, 6, biasOnly.HeadDim, float32, seed: 61);
        var wrong = Assert.Throws<ArgumentException>(() => biasOnly.Apply(null, null, value, null, zeros(2, 6, 5)));
        Assert.Contains("broadcastable to [batch, heads, queries, keys] = [2, 2, 6, 6]", wrong.Message);
        var mixed = Assert.Throws<ArgumentException>(() => FusedBiasedAttention<TinyRandomSynthesizer.SelfAttention.Kernel>.Apply(query, key, value, null, zeros(2, 6, 6)));
        Assert.Contains("ApplyBias", mixed.Message);
    }

    private static string Name(int index, bool queryKey) => queryKey
        ? index switch { 0 => "query gradient", 1 => "key gradient", 2 => "value gradient", _ => "bias gradient" }
        : index switch { 0 => "value gradient", _ => "bias gradient" };

    // The output and the gradients of sum(output ⊙ upstream): of query, key, value and the bias leaf (value and bias
    // alone without query-key scores).
    private static (Tensor Output, Tensor[] Gradients) Gradients(Func<Tensor?, Tensor?, Tensor, Tensor?, Tensor, Tensor> attention, bool queryKey,
        Tensor query, Tensor key, Tensor value, Tensor? mask, Tensor bias, Func<Tensor, Tensor> view, Tensor upstream)
    {
        var q = query.detach().requires_grad_();
        var k = key.detach().requires_grad_();
        var v = value.detach().requires_grad_();
        var b = bias.detach().requires_grad_();
        using var enabled = enable_grad();
        var output = queryKey ? attention(q, k, v, mask, view(b)) : attention(null, null, v, mask, view(b));
        (output * upstream).sum().backward();
        return (output.detach(), queryKey ? [q.grad!, k.grad!, v.grad!, b.grad!] : [v.grad!, b.grad!]);
    }
}
