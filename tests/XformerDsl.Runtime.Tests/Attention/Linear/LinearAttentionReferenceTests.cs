using TorchSharp;
using XformerDsl.Attention.Full;
using XformerDsl.Attention.Linear;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Attention.Linear;

/// <summary>
/// The composed reference of linear attention and its feature maps against independent compositions and properties:
/// a per-query loop over the visible keys, a running-sum (RNN) form, softmax attention for FAVOR+, padding invariance,
/// and deterministic FAVOR+ draws.
/// </summary>
public class LinearAttentionReferenceTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Reference_equals_the_attention_weights_normalised_over_the_visible_keys(bool causal, bool masked)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(11);
        int batch = 2, heads = 3, seq = 13, features = 5, headDim = 4;
        var featureQuery = rand(new long[] { batch, heads, seq, features }, float64, generator: generator);
        var featureKey = rand(new long[] { batch, heads, seq, features }, float64, generator: generator);
        var value = randn(new long[] { batch, heads, seq, headDim }, float64, generator: generator);
        var mask = masked ? rand(new long[] { batch, seq }, generator: generator) > 0.3 : null;

        var output = LinearAttentionReference.Forward(featureQuery, featureKey, value, causal, mask);

        // Independently: every (query, key) weight φ(q)·φ(k), kept where the key is visible, normalised per query.
        var visible = FullAttentionReference.VisibilityMask(seq, seq, causal, mask, CPU);
        var weights = einsum("bhqf,bhkf->bhqk", featureQuery, featureKey);
        if (visible is not null)
            weights = weights * visible.to(float64);
        // A query that sees no key (0 / 0 here) attends nothing: zeros.
        var expected = (weights.matmul(value) / weights.sum(-1, keepdim: true)).nan_to_num(0.0);
        Assert.True(expected.allclose(output, rtol: 1e-10, atol: 1e-12), $"largest difference {(expected - output).abs().max().item<double>():E2}");
    }

    [Fact]
    public void Causal_reference_equals_the_recurrent_form_with_a_running_state()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(5);
        var featureQuery = rand(new long[] { 1, 2, 9, 3 }, float64, generator: generator);
        var featureKey = rand(new long[] { 1, 2, 9, 3 }, float64, generator: generator);
        var value = randn(new long[] { 1, 2, 9, 4 }, float64, generator: generator);

        var output = LinearAttentionReference.Forward(featureQuery, featureKey, value, causal: true, null);

        // The RNN view: S_i = S_{i-1} + φ(k_i) v_iᵀ, z_i = z_{i-1} + φ(k_i), out_i = φ(q_i)ᵀ S_i / φ(q_i)·z_i.
        var state = zeros(1, 2, 3, 4, float64);
        var normaliser = zeros(1, 2, 3, float64);
        for (int i = 0; i < 9; i++)
        {
            var k = featureKey[.., .., i];
            state = state + k.unsqueeze(-1) * value[.., .., i].unsqueeze(-2);
            normaliser = normaliser + k;
            var q = featureQuery[.., .., i];
            var step = (q.unsqueeze(-1) * state).sum(-2) / (q * normaliser).sum(-1, keepdim: true);
            Assert.True(step.allclose(output[.., .., i], rtol: 1e-10, atol: 1e-12), $"position {i}");
        }
    }

    [Fact]
    public void A_query_whose_features_are_zero_gets_zeros_and_finite_gradients()
    {
        using var scope = NewDisposeScope();
        var query = tensor(new double[] { -1, -2, 1, 2 }).reshape(1, 1, 2, 2).requires_grad_();
        var key = tensor(new double[] { 1, 1, 2, 1 }).reshape(1, 1, 2, 2).requires_grad_();
        var value = tensor(new double[] { 3, 4, 5, 6 }).reshape(1, 1, 2, 2).requires_grad_();

        var output = LinearAttentionReference.Forward(LinearFeatureMaps.Relu(query), LinearFeatureMaps.Relu(key), value, causal: false, null);
        output.sum().backward();

        Assert.Equal(0.0, output[0, 0, 0].abs().sum().item<double>());
        Assert.True(query.grad!.isfinite().all().item<bool>() && key.grad!.isfinite().all().item<bool>() && value.grad!.isfinite().all().item<bool>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Padded_keys_do_not_change_the_other_outputs(bool causal)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(3);
        var featureQuery = rand(new long[] { 2, 2, 10, 4 }, float64, generator: generator);
        var featureKey = rand(new long[] { 2, 2, 10, 4 }, float64, generator: generator);
        var value = randn(new long[] { 2, 2, 10, 3 }, float64, generator: generator);
        var mask = ones(2, 10, @bool);
        mask[0, TensorIndex.Slice(7, null)] = false;   // right padding
        mask[1, TensorIndex.Slice(0, 3)] = false;      // left padding

        var before = LinearAttentionReference.Forward(featureQuery, featureKey, value, causal, mask);
        // Anything at a padded key: its features and value.
        var padded = mask.logical_not().unsqueeze(1).unsqueeze(-1);
        var otherKeys = featureKey.where(padded.logical_not(), featureKey * 100 + 3);
        var otherValues = value.where(padded.logical_not(), -value * 50);
        var after = LinearAttentionReference.Forward(featureQuery, otherKeys, otherValues, causal, mask);

        Assert.True(before.allclose(after, rtol: 1e-12, atol: 1e-12));
    }

    [Fact]
    public void Favor_error_against_softmax_attention_shrinks_as_features_grow()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(2024);
        int headDim = 16;
        var query = randn(new long[] { 1, 4, 64, headDim }, float64, generator: generator) * 0.5;
        var key = randn(new long[] { 1, 4, 64, headDim }, float64, generator: generator) * 0.5;
        var value = randn(new long[] { 1, 4, 64, headDim }, float64, generator: generator);
        var exact = FullAttentionReference.Forward(query, key, value, causal: false);

        double Error(int features)
        {
            // Averaged over independent draws, so the trend is the estimator's, not one draw's luck.
            double total = 0;
            for (int draw = 0; draw < 4; draw++)
            {
                var projection = FavorFeatures.Draw(features, headDim, seed: 1, draw: draw);
                var approximate = LinearAttentionReference.Forward(
                    LinearFeatureMaps.Favor(query, projection, isQuery: true), LinearFeatureMaps.Favor(key, projection, isQuery: false), value, causal: false, null);
                total += (approximate - exact).square().mean().sqrt().item<double>();
            }
            return total / 4;
        }

        double e16 = Error(16), e128 = Error(128), e1024 = Error(1024);
        Assert.True(e128 < e16 && e1024 < e128, $"RMS error 16: {e16:E2}, 128: {e128:E2}, 1024: {e1024:E2}");
        Assert.True(e1024 < 0.5 * e16, $"RMS error 16: {e16:E2}, 1024: {e1024:E2}");
    }

    [Fact]
    public void Favor_draws_are_deterministic_orthogonal_in_blocks_and_differ_between_draws()
    {
        using var scope = NewDisposeScope();
        var a = FavorFeatures.Draw(20, 8, seed: 9, draw: 2);
        var b = FavorFeatures.Draw(20, 8, seed: 9, draw: 2);
        var c = FavorFeatures.Draw(20, 8, seed: 9, draw: 3);
        Assert.True(a.eq(b).all().item<bool>());
        Assert.False(a.allclose(c));
        Assert.Equal(new long[] { 20, 8 }, a.shape);
        // Rows of one block are orthogonal: the Gram matrix of the first block is diagonal.
        var block = a[TensorIndex.Slice(0, 8)];
        var gram = block.matmul(block.t());
        var offDiagonal = gram - diag(gram.diagonal());
        Assert.True(offDiagonal.abs().max().item<double>() < 1e-10);
    }
}
