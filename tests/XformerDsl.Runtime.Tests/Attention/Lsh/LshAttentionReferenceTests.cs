using TorchSharp;
using XformerDsl.Attention.Lsh;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Attention.Lsh;

/// <summary>
/// The composed LSH attention against independent facts: with one bucket covering the sequence it is full attention
/// with shared QK and the self-mask (whatever the rounds, thanks to the duplicate correction); causal outputs ignore
/// later positions; the hashing is reproducible under a seed.
/// </summary>
public class LshAttentionReferenceTests
{
    [Theory]
    [InlineData(true, 1)]
    [InlineData(true, 3)]
    [InlineData(false, 2)]
    public void One_bucket_covering_the_sequence_is_full_attention_with_shared_qk_and_self_mask(bool causal, int rounds)
    {
        using var scope = NewDisposeScope();
        var generator = new torch.Generator(11);
        var qk = randn(new[] { 2L, 2, 10, 8 }, dtype: float64, generator: generator);
        var v = randn(new[] { 2L, 2, 10, 8 }, dtype: float64, generator: generator);
        var mask = ones(new[] { 2L, 10 }, dtype: @bool);
        mask[1, 4] = false;
        var rotations = LshHashing.RandomRotations(10, heads: 2, headDim: 8, rounds, bucketSize: 16, seed: 5, CPU, float64);

        var actual = LshAttentionReference.Forward(qk, v, rotations, bucketSize: 16, causal, mask);

        // Dense: scores of the queries against the normalised queries, −5·10⁴ on the diagonal, −10⁹ where hidden.
        var keys = qk / qk.norm(-1, keepdim: true);
        var scores = qk.matmul(keys.transpose(-2, -1)) / Math.Sqrt(8);
        scores = scores.masked_fill(eye(10, dtype: @bool), -5e4);
        var hidden = mask.logical_not().view(2, 1, 1, 10);
        if (causal)
            hidden = hidden.logical_or(ones(10, 10, dtype: @bool).triu(1));
        scores = scores.masked_fill(hidden, -1e9);
        var expected = scores.softmax(-1).matmul(v);

        Assert.True(actual.allclose(expected, rtol: 1e-9, atol: 1e-11), $"max difference {(actual - expected).abs().max().item<double>()}");
    }

    [Fact]
    public void Causal_lsh_attention_ignores_later_positions()
    {
        using var scope = NewDisposeScope();
        var generator = new torch.Generator(3);
        var qk = randn(new[] { 1L, 2, 40, 8 }, dtype: float64, generator: generator);
        var v = randn(new[] { 1L, 2, 40, 8 }, dtype: float64, generator: generator);
        var rotations = LshHashing.RandomRotations(40, 2, 8, rounds: 2, bucketSize: 4, seed: 9, CPU, float64);
        var before = LshAttentionReference.Forward(qk, v, rotations, 4, causal: true, null);

        var editedV = v.clone();
        editedV[.., .., 25..] = randn(new[] { 1L, 2, 15, 8 }, dtype: float64, generator: generator);
        var after = LshAttentionReference.Forward(qk, editedV, rotations, 4, causal: true, null);

        Assert.True(before[.., .., ..25].allclose(after[.., .., ..25], rtol: 0, atol: 1e-12));
        Assert.False(before[.., .., 25..].allclose(after[.., .., 25..], rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void Causal_outputs_have_no_gradient_from_later_query_keys_or_values()
    {
        using var scope = NewDisposeScope();
        var generator = new torch.Generator(8);
        var qk = randn(new[] { 1L, 2, 24, 8 }, dtype: float64, generator: generator).requires_grad_(true);
        var v = randn(new[] { 1L, 2, 24, 8 }, dtype: float64, generator: generator).requires_grad_(true);
        var rotations = LshHashing.RandomRotations(24, 2, 8, rounds: 3, bucketSize: 4, seed: 2, CPU, float64);

        var output = LshAttentionReference.Forward(qk, v, rotations, 4, causal: true, null);
        output[.., .., ..15].sum().backward();

        Assert.Equal(0.0, qk.grad![.., .., 15..].abs().max().item<double>());
        Assert.Equal(0.0, v.grad![.., .., 15..].abs().max().item<double>());
        Assert.True(qk.grad![.., .., ..15].abs().max().item<double>() > 0);
    }

    [Fact]
    public void Hashing_is_reproducible_under_a_seed_and_fresh_without_one()
    {
        using var scope = NewDisposeScope();
        var seeded = LshHashing.RandomRotations(100, 2, 8, rounds: 2, bucketSize: 8, seed: 4, CPU, float32);
        var again = LshHashing.RandomRotations(100, 2, 8, rounds: 2, bucketSize: 8, seed: 4, CPU, float32);
        Assert.True(seeded.eq(again).all().item<bool>());
        Assert.Equal(new long[] { 2, 8, 2, 7 }, seeded.shape);   // 100 → 112 positions, 14 buckets, 7 directions

        torch.manual_seed(1);
        var first = LshHashing.RandomRotations(100, 2, 8, 2, 8, seed: null, CPU, float32);
        var second = LshHashing.RandomRotations(100, 2, 8, 2, 8, seed: null, CPU, float32);
        torch.manual_seed(1);
        var replay = LshHashing.RandomRotations(100, 2, 8, 2, 8, seed: null, CPU, float32);
        Assert.False(first.eq(second).all().item<bool>());
        Assert.True(first.eq(replay).all().item<bool>());
    }

    [Fact]
    public void Similar_vectors_share_a_bucket_and_opposite_ones_do_not()
    {
        using var scope = NewDisposeScope();
        var x = randn(new[] { 1L, 1, 1, 16 }, dtype: float64, generator: new torch.Generator(2));
        var vectors = cat([x, x * 3, -x], 2);   // same direction twice, then the opposite one
        var rotations = LshHashing.RandomRotations(3, 1, 16, rounds: 4, bucketSize: 1, seed: 7, CPU, float64);

        var buckets = LshHashing.Buckets(vectors, rotations);   // [1, 1, 4, 3]

        Assert.True(buckets[.., .., .., 0].eq(buckets[.., .., .., 1]).all().item<bool>());
        Assert.False(buckets[.., .., .., 0].eq(buckets[.., .., .., 2]).any().item<bool>());
    }

    [Fact]
    public void Bucket_is_the_argmax_over_the_rotation_and_its_negation()
    {
        using var scope = NewDisposeScope();
        var generator = new torch.Generator(3);
        var vectors = randn(new[] { 2L, 3, 40, 8 }, dtype: float64, generator: generator);
        var rotations = LshHashing.RandomRotations(40, 3, 8, rounds: 2, bucketSize: 4, seed: 5, CPU, float64);   // 10 buckets

        var buckets = LshHashing.Buckets(vectors, rotations);

        // The definition, written out: x·R per round, concatenated with its negation, argmax.
        var rotated = einsum("bhld,hdrn->bhrln", vectors, rotations);
        var expected = cat([rotated, rotated.neg()], -1).argmax(-1);
        Assert.Equal(expected.shape, buckets.shape);
        Assert.True(buckets.eq(expected).all().item<bool>());
        Assert.True(buckets.max().item<long>() >= 5, "some vectors must land in the negated half for the test to cover it");
    }

    [Fact]
    public void Query_keys_values_and_rotations_of_different_dtypes_are_refused_with_the_dtypes_named()
    {
        using var scope = NewDisposeScope();
        var qk = randn(new[] { 1L, 2, 16, 8 }, dtype: float32);
        var v = randn(new[] { 1L, 2, 16, 8 }, dtype: float64);
        var rotations = LshHashing.RandomRotations(16, heads: 2, headDim: 8, rounds: 2, bucketSize: 4, seed: 1, CPU, float32);

        var error = Assert.Throws<ArgumentException>(() => LshAttentionReference.Forward(qk, v, rotations, bucketSize: 4, causal: true, null));
        Assert.Contains("Float32", error.Message);
        Assert.Contains("Float64", error.Message);
    }

    [Fact]
    public void Sorted_rounds_are_counted_over_every_round_of_the_padded_sequence()
    {
        // 8 rounds of a sequence padded from 1000 to 1024 (a multiple of 2 · 64): the fused path's size check reads this.
        long bytes = LshLayout.SortedRoundsBytes(batch: 2, heads: 4, sequence: 1000, headDim: 64, rounds: 8, bucketSize: 64, elementSize: 4);
        Assert.Equal(2L * 4 * 8 * 1024 * 64 * 4, bytes);
    }
}
