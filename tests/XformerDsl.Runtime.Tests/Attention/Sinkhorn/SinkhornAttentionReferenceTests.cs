using XformerDsl.Attention.Full;
using XformerDsl.Attention.Sinkhorn;
using Xunit;
using static TorchSharp.torch;
using static XformerDsl.Tests.Attention.AttentionKernelKit;

namespace XformerDsl.Tests.Attention.Sinkhorn;

/// <summary>
/// The composed Sinkhorn attention against <see cref="SinkhornOracle"/> (written from the definition, block by block,
/// exp-domain normalisation), with and without causality, SortCut and padding; the balancing's doubly stochastic (and
/// causal) result; values sorted from the values; whole padded blocks; noise only in training; the causal first block;
/// gradients, the sorting projection's included, against float64 finite differences.
/// </summary>
public class SinkhornAttentionReferenceTests
{
    private static Tensor Projection(int headDim, int seed)
    {
        manual_seed(seed);
        return (eye(headDim, dtype: float64) + 0.5 * randn(headDim, headDim, dtype: float64)).requires_grad_();
    }

    public static TheoryData<bool, int, bool> OracleCases() => new()
    {
        // causal, sortCut, padded
        { true, 0, false },
        { true, 0, true },
        { false, 0, false },
        { false, 0, true },
        { false, 2, false },
        { false, 3, true },
    };

    [Theory]
    [MemberData(nameof(OracleCases))]
    public void Reference_equals_the_block_by_block_oracle(bool causal, int sortCut, bool padded)
    {
        const int block = 4, iterations = 6;
        const double temperature = 0.75;
        var (q, k, v) = Inputs(2, 2, 16, 4, float64, seed: 5 + sortCut);
        var w = Projection(4, seed: 6);
        var mask = padded ? RandomPadding(2, 16, seed: 7) : null;
        var settings = new SinkhornSettings(block, iterations, temperature, causal, sortCut);

        using var noGrad = no_grad();
        var composed = SinkhornAttentionReference.Forward(q, k, v, w, settings, training: false, mask);
        var oracle = SinkhornOracle.Attend(q, k, v, w, mask ?? ones(2, 16, ScalarType.Bool), block, iterations, temperature, causal, sortCut);
        AssertClose(oracle, composed, "output", tolerance: 1e-10);
    }

    [Fact]
    public void Balancing_gives_a_doubly_stochastic_matrix_and_causal_balancing_takes_earlier_blocks_only()
    {
        manual_seed(3);
        var logits = randn(2, 3, 6, 6, dtype: float64);
        var nothingHidden = zeros(1, 1, 6, 6, ScalarType.Bool);
        var p = SinkhornSorting.Balance(logits, nothingHidden, iterations: 60, causal: false).exp();
        AssertClose(ones(2, 3, 6, dtype: float64), p.sum(-1), "row sums", tolerance: 1e-9);
        AssertClose(ones(2, 3, 6, dtype: float64), p.sum(-2), "column sums", tolerance: 1e-6);

        var hidden = SinkhornSorting.HiddenPairs(ones(2, 6, ScalarType.Bool), causal: true);
        var causal = SinkhornSorting.Balance(logits, hidden, iterations: 5, causal: true).exp().masked_fill(hidden, 0.0);
        Assert.Equal(0.0, causal.triu().abs().max().item<double>());
        AssertClose(zeros(2, 3, dtype: float64), causal[.., .., 0].sum(-1), "the first block's row");
        AssertClose(ones(2, 3, 5, dtype: float64), causal[.., .., 1..].sum(-1), "later rows", tolerance: 1e-12);
    }

    [Fact]
    public void Sorted_values_are_built_from_the_values_not_the_keys()
    {
        var (q, k, _) = Inputs(1, 2, 16, 4, float64, seed: 9);
        using var noGrad = no_grad();
        var valid = ones(1, 16, ScalarType.Bool);
        foreach (bool causal in new[] { false, true })
        {
            var sorted = SinkhornSorting.Sort(q, k, 2.0 * k, Projection(4, 1), valid, new SinkhornSettings(4, 5, 0.75, causal), training: false);
            AssertClose(2.0 * sorted.Key, sorted.Value, "sorted values of v = 2k", tolerance: 1e-12);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_padded_whole_block_changes_nothing_before_it(bool causal)
    {
        var (q, k, v) = Inputs(2, 2, 16, 4, float64, seed: 12);
        var w = Projection(4, seed: 13);
        var settings = new SinkhornSettings(4, 7, 0.75, causal);
        var mask = ones(2, 16, ScalarType.Bool);
        mask[.., 12..] = false;
        using var noGrad = no_grad();
        var padded = SinkhornAttentionReference.Forward(q, k, v, w, settings, training: false, mask);
        var shorter = SinkhornAttentionReference.Forward(q[.., .., ..12], k[.., .., ..12], v[.., .., ..12], w, settings, training: false, null);
        AssertClose(shorter, padded[.., .., ..12], "output before the padded block", tolerance: 1e-12);
    }

    [Fact]
    public void Evaluation_is_deterministic_and_training_adds_seeded_Gumbel_noise()
    {
        var (q, k, v) = Inputs(1, 2, 16, 4, float64, seed: 15);
        var w = Projection(4, seed: 16);
        var settings = new SinkhornSettings(4, 5, 0.75, Causal: false);
        using var noGrad = no_grad();
        Tensor Run(bool training, int seed)
        {
            manual_seed(seed);
            return SinkhornAttentionReference.Forward(q, k, v, w, settings, training, null);
        }
        Assert.True(Run(false, 1).allclose(Run(false, 2), rtol: 0, atol: 0), "evaluation draws no noise");
        Assert.True(Run(true, 1).allclose(Run(true, 1), rtol: 0, atol: 0), "the same seed draws the same noise");
        Assert.False(Run(true, 1).allclose(Run(true, 2)), "training draws noise");
    }

    [Fact]
    public void The_first_causal_block_attends_to_its_own_earlier_keys_only()
    {
        var (q, k, v) = Inputs(2, 2, 16, 4, float64, seed: 18);
        using var noGrad = no_grad();
        var sinkhorn = SinkhornAttentionReference.Forward(q, k, v, Projection(4, 19), new SinkhornSettings(4, 5, 0.75, Causal: true), training: false, null);
        var local = FullAttentionReference.Forward(q[.., .., ..4], k[.., .., ..4], v[.., .., ..4], causal: true);
        AssertClose(local, sinkhorn[.., .., ..4], "the first block", tolerance: 1e-12);
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 0)]
    [InlineData(false, 2)]
    public void Gradients_including_the_sorting_projection_match_float64_finite_differences(bool causal, int sortCut)
    {
        var (q, k, v) = Inputs(1, 1, 8, 3, float64, seed: 21);
        var w = Projection(3, seed: 22);
        var mask = RandomPadding(1, 8, seed: 23);
        var upstream = Upstream(q);
        var settings = new SinkhornSettings(2, 4, 0.75, causal, sortCut);
        AssertGradientsMatchFiniteDifferences(
            inputs => (SinkhornAttentionReference.Forward(inputs[0], inputs[1], inputs[2], inputs[3], settings, training: false, mask) * upstream).sum(),
            i => i == 3 ? "sorting projection gradient" : GradientName(i), q, k, v, w);
    }
}
