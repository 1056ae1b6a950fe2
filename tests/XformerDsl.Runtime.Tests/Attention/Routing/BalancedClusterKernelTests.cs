using TorchSharp;
using XformerDsl.Attention.Routing;
using Xunit;
using static TorchSharp.torch;
using static XformerDsl.Tests.Attention.AttentionKernelKit;

namespace XformerDsl.Tests.Attention.Routing;

/// <summary>
/// The fused attention inside clusters (<see cref="BalancedClusterAttention.Attend"/>) against its composition from
/// TorchSharp ops (<see cref="BalancedClusterAttention.Compose"/>), in values and gradients: float64 to rounding, causal and
/// bidirectional, with padded tokens, tokens in several clusters and in none, windows longer than a query tile and not a
/// multiple of any vector width, batches and several heads; at every SIMD width; float32 within a tolerance; and the
/// gradients against float64 finite differences.
/// </summary>
public class BalancedClusterKernelTests
{
    // Clusters as routing draws them: each centroid's `window` nearest tokens by random nearness, padded ones invalid.
    private static (Tensor QueryKey, Tensor Value, Tensor Members, Tensor MemberValid) Clusters(long batch, long heads, long length,
        long headDim, int clusters, int window, ScalarType dtype, int seed)
    {
        var generator = new torch.Generator((ulong)seed);
        var queryKey = randn(new[] { batch, heads, length, headDim }, dtype: dtype, generator: generator);
        var value = randn(new[] { batch, heads, length, headDim }, dtype: dtype, generator: generator);
        var nearness = randn(new[] { batch, heads, length, (long)clusters }, dtype: dtype, generator: generator);
        var valid = rand(new[] { batch, length }, generator: generator).gt(0.15);
        var (members, memberValid) = BalancedClusterAttention.TopTokensPerCentroid(nearness, valid, window);
        return (queryKey, value, members, memberValid);
    }

    // How many clusters each token of each batch·head is a valid member of, [batch, heads, length].
    private static Tensor Memberships(Tensor members, Tensor memberValid, long length)
    {
        long batch = members.shape[0], heads = members.shape[1];
        return zeros(new[] { batch, heads, length }, ScalarType.Int64)
            .scatter_add(-1, members.flatten(2), memberValid.flatten(2).to(ScalarType.Int64));
    }

    private static (Tensor Output, Tensor[] Gradients) OutputAndGradients(
        Func<Tensor, Tensor, Tensor, Tensor, bool, Tensor> attention, Tensor queryKey, Tensor value, Tensor members,
        Tensor memberValid, bool causal, Tensor upstream)
    {
        var qk = queryKey.detach().requires_grad_();
        var v = value.detach().requires_grad_();
        using var enabled = enable_grad();
        var output = attention(qk, v, members, memberValid, causal);
        var gradients = torch.autograd.grad([output], [qk, v], [upstream]);
        return (output.detach(), [.. gradients]);
    }

    private static void AssertFusedMatchesComposition(Tensor queryKey, Tensor value, Tensor members, Tensor memberValid, bool causal,
        double tolerance, int threads = 0)
    {
        var upstream = randn(queryKey.shape, dtype: queryKey.dtype, generator: new torch.Generator(7));
        var (expected, expectedGradients) = OutputAndGradients(BalancedClusterAttention.Compose, queryKey, value, members, memberValid, causal, upstream);
        var (actual, actualGradients) = OutputAndGradients(threads == 0 ? BalancedClusterAttention.Attend
            : (qk, v, m, mv, c) => BalancedClusterAttention.AttendOnThreads(qk, v, m, mv, c, threads),
            queryKey, value, members, memberValid, causal, upstream);
        AssertClose(expected, actual, "output", tolerance);
        AssertClose(expectedGradients[0], actualGradients[0], "query-key gradient", tolerance);
        AssertClose(expectedGradients[1], actualGradients[1], "value gradient", tolerance);
    }

    // Windows of 70 and 150 span query tiles of 64 and are no multiple of 4, 8 or 16 lanes; 9 fits within one vector. A
    // centroid takes padded tokens (as invalid members) only when it runs out of real ones: a window of 150 out of 160.
    [Theory]
    [InlineData(false, 3, 70, 20, 150)]
    [InlineData(true, 2, 150, 24, 160)]
    [InlineData(true, 3, 70, 20, 150)]
    [InlineData(false, 2, 150, 16, 200)]
    [InlineData(true, 4, 150, 33, 260)]
    [InlineData(true, 5, 9, 8, 40)]
    public void Fused_equals_the_composition_in_values_and_gradients(bool causal, int clusters, int window, int headDim, int length)
    {
        using var scope = NewDisposeScope();
        var (queryKey, value, members, memberValid) = Clusters(2, 3, length, headDim, clusters, window, float64, seed: 41 + window);
        // The case covers what the kernel must get right: tokens in several clusters and in none.
        var memberships = Memberships(members, memberValid, length);
        Assert.True(memberships.gt(1).any().item<bool>(), "no token is in several clusters");
        Assert.True(memberships.eq(0).any().item<bool>(), "every token is in a cluster");
        Assert.True(window < length * 0.8 || memberValid.logical_not().any().item<bool>(), "no member is padded");

        AssertFusedMatchesComposition(queryKey, value, members, memberValid, causal, tolerance: 1e-10);
    }

    // Fewer batch·heads than threads: each batch·head's clusters are split into parts whose sums are added afterwards.
    [Theory]
    [InlineData(1, 3, false)]
    [InlineData(2, 5, true)]
    [InlineData(1, 8, true)]
    public void Clusters_split_across_threads_equal_the_composition_in_values_and_gradients(int heads, int threads, bool causal)
    {
        using var scope = NewDisposeScope();
        var (queryKey, value, members, memberValid) = Clusters(1, heads, 150, 20, 5, 40, float64, seed: 53);
        AssertFusedMatchesComposition(queryKey, value, members, memberValid, causal, tolerance: 1e-10, threads);
    }

    [Fact]
    public void Results_are_the_same_bits_run_after_run()
    {
        using var scope = NewDisposeScope();
        var (queryKey, value, members, memberValid) = Clusters(1, 2, 200, 16, 6, 50, float32, seed: 55);
        foreach (int threads in new[] { 2, 4 })
        {
            var first = BalancedClusterAttention.AttendOnThreads(queryKey, value, members, memberValid, false, threads);
            for (int run = 0; run < 3; run++)
                Assert.True(first.eq(BalancedClusterAttention.AttendOnThreads(queryKey, value, members, memberValid, false, threads)).all().item<bool>(),
                    $"run {run} on {threads} threads differs");
        }
    }

    // A bidirectional model's local heads: contiguous blocks, the last one partly empty.
    [Theory]
    [InlineData(70, 300)]
    [InlineData(16, 45)]
    public void Local_blocks_equal_the_composition_in_values_and_gradients(int block, int length)
    {
        using var scope = NewDisposeScope();
        var generator = new torch.Generator(43);
        var queryKey = randn(new[] { 2L, 2, length, 24 }, dtype: float64, generator: generator);
        var value = randn(new[] { 2L, 2, length, 24 }, dtype: float64, generator: generator);
        var valid = rand(new[] { 2L, length }, generator: generator).gt(0.2);
        var (members, memberValid) = BalancedClusterAttention.Blocks(2, 2, length, block, valid);
        Assert.True(memberValid.logical_not().any().item<bool>(), "no member is padded");

        AssertFusedMatchesComposition(queryKey, value, members, memberValid, causal: false, tolerance: 1e-10);
    }

    [Theory]
    [InlineData(512, true)]
    [InlineData(256, false)]
    [InlineData(128, true)]
    public void Every_simd_width_computes_the_composition(int vectorBits, bool causal)
    {
        using var scope = NewDisposeScope();
        var (queryKey, value, members, memberValid) = Clusters(1, 2, 160, 19, 3, 70, float64, seed: 45);
        var expected = BalancedClusterAttention.Compose(queryKey, value, members, memberValid, causal);
        var actual = BalancedClusterFunction.RunForward(queryKey, value, members, memberValid, causal, vectorBits);
        AssertClose(expected, actual, $"output at {vectorBits} bits", 1e-10);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Float32_is_within_rounding_of_the_float64_composition(bool causal)
    {
        using var scope = NewDisposeScope();
        var (queryKey, value, members, memberValid) = Clusters(2, 2, 180, 32, 4, 80, float64, seed: 47);
        var upstream = randn(queryKey.shape, dtype: float64, generator: new torch.Generator(9));
        var (expected, expectedGradients) = OutputAndGradients(BalancedClusterAttention.Compose, queryKey, value, members, memberValid, causal, upstream);
        var (actual, actualGradients) = OutputAndGradients(BalancedClusterAttention.Attend, queryKey.to(float32), value.to(float32),
            members, memberValid, causal, upstream.to(float32));
        Assert.Equal(ScalarType.Float32, actual.dtype);
        AssertClose(expected, actual, "output", 1e-5);
        AssertClose(expectedGradients[0], actualGradients[0], "query-key gradient", 1e-4);
        AssertClose(expectedGradients[1], actualGradients[1], "value gradient", 1e-5);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gradients_agree_with_float64_finite_differences(bool causal)
    {
        using var scope = NewDisposeScope();
        var (queryKey, value, members, memberValid) = Clusters(1, 1, 12, 4, 3, 5, float64, seed: 49);
        var weights = randn(queryKey.shape, dtype: float64, generator: new torch.Generator(11));
        AssertGradientsMatchFiniteDifferences(
            inputs => (BalancedClusterAttention.Attend(inputs[0], inputs[1], members, memberValid, causal) * weights).sum(),
            i => i == 0 ? "query-key gradient" : "value gradient",
            queryKey.requires_grad_(), value.requires_grad_());
    }

    [Theory]
    [InlineData(0, 4)]
    [InlineData(3, 0)]
    public void Without_clusters_or_members_every_token_outputs_its_value_and_passes_the_gradient_to_it(int clusters, int window)
    {
        using var scope = NewDisposeScope();
        var generator = new torch.Generator(57);
        var queryKey = randn(new[] { 2L, 1, 10, 8 }, dtype: float64, generator: generator).requires_grad_();
        var value = randn(new[] { 2L, 1, 10, 8 }, dtype: float64, generator: generator).requires_grad_();
        var members = zeros(new[] { 2L, 1, clusters, window }, ScalarType.Int64);
        var upstream = randn(value.shape, dtype: float64, generator: generator);
        var output = BalancedClusterAttention.AttendOnThreads(queryKey, value, members, members.to(ScalarType.Bool), causal: false, threads: 4);
        (output * upstream).sum().backward();
        Assert.True(output.eq(value).all().item<bool>(), "the output is not the value");
        Assert.True(queryKey.grad is null || queryKey.grad.eq(0).all().item<bool>(), "the query-keys have a gradient");
        Assert.True(value.grad!.eq(upstream).all().item<bool>(), "the gradient does not pass to the value");
    }

    [Fact]
    public void A_valid_member_outside_the_sequence_is_rejected_naming_the_length()
    {
        using var scope = NewDisposeScope();
        var (queryKey, value, members, memberValid) = Clusters(1, 1, 12, 4, 2, 3, float64, seed: 51);
        var outside = members.clone();
        outside[0, 0, 0, 0] = 12;
        var error = Assert.Throws<ArgumentException>(() =>
            BalancedClusterAttention.Attend(queryKey, value, outside, memberValid.logical_or(ones_like(memberValid)), causal: false));
        Assert.Contains("outside [0, 12)", error.Message);
    }
}
