using TorchSharp;
using XformerDsl.Attention.Sorted;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Attention.Sorted;

/// <summary>
/// The fused attention over causal group windows against the composition from TorchSharp ops (values and gradients in
/// float64, with padded keys and batches, with and without a constant self score), against a direct per-query loop for
/// which keys a query sees, and the property it exists for: a query's output never depends on later positions, bit for bit.
/// </summary>
public class CausalGroupWindowTests
{
    [Theory]
    [InlineData(1, 4, 3, true)]
    [InlineData(2, 3, 5, false)]
    [InlineData(3, 2, 4, true)]
    public void Fused_equals_the_composition_in_values_and_gradients(int rounds, int window, int groups, bool selfScore) =>
        AssertFusedEqualsComposition(seed: 31, length: 37, headDim: 20, rounds, window, groups, selfScore, validShare: 0.8);

    // One round runs on the tiled kernel (CausalGroupRunKernel): runs longer than its query tile of 64 and windows longer
    // than a tile, so windows start inside earlier tiles and tiles span the window's edge.
    [Theory]
    [InlineData(70, 2, true, 20)]
    [InlineData(150, 1, false, 20)]
    [InlineData(9, 3, false, 33)]
    [InlineData(300, 3, true, 16)]
    public void One_round_with_long_runs_equals_the_composition_in_values_and_gradients(int window, int groups, bool selfScore, int headDim) =>
        AssertFusedEqualsComposition(seed: 39, length: 290, headDim, rounds: 1, window, groups, selfScore, validShare: 0.9);

    // Values, log-sum-exp and the three gradients of the fused kernel against the composition, in float64, batch 2 of
    // 2 heads, random groups and padded keys.
    private static void AssertFusedEqualsComposition(int seed, long length, long headDim, int rounds, int window, int groups, bool selfScore, double validShare)
    {
        using var scope = NewDisposeScope();
        var generator = new torch.Generator((ulong)seed);
        long batch = 2, heads = 2;
        var q = randn(new[] { batch, heads, length, headDim }, dtype: float64, generator: generator).requires_grad_(true);
        var k = randn(new[] { batch, heads, length, headDim }, dtype: float64, generator: generator).requires_grad_(true);
        var v = randn(new[] { batch, heads, length, headDim }, dtype: float64, generator: generator).requires_grad_(true);
        var windows = CausalGroupWindows.Of(randint(groups, new[] { batch, heads, (long)rounds, length }, generator: generator), window);
        var valid = rand(new[] { batch, length }, dtype: float64, generator: generator).gt(1 - validShare);
        var upstream = randn(new[] { batch, heads, length, headDim }, dtype: float64, generator: generator);
        double? self = selfScore ? -5e4 : null;

        var (expected, expectedLse) = CausalGroupWindowReference.Compose(q, k, v, windows, valid, self);
        var expectedGrads = torch.autograd.grad([expected], [q, k, v], [upstream]);
        var actual = CausalGroupWindowAttention.Attend(q, k, v, windows, valid, self);
        var actualGrads = torch.autograd.grad([actual], [q, k, v], [upstream]);
        var (_, actualLse) = CausalGroupWindowAttention.RunForward(q.detach(), k.detach(), v.detach(), windows, valid, self);

        AssertClose(expected, actual, "output");
        AssertClose(expectedLse, actualLse, "log-sum-exp");
        string[] names = ["query", "key", "value"];
        for (int i = 0; i < 3; i++)
            AssertClose(expectedGrads[i], actualGrads[i], names[i] + " gradient");
    }

    [Fact]
    public void Gradients_agree_with_float64_finite_differences()
    {
        using var scope = NewDisposeScope();
        var generator = new torch.Generator(33);
        long length = 11, headDim = 4;
        var q = randn(new[] { 1L, 1, length, headDim }, dtype: float64, generator: generator).requires_grad_(true);
        var k = randn(new[] { 1L, 1, length, headDim }, dtype: float64, generator: generator).requires_grad_(true);
        var v = randn(new[] { 1L, 1, length, headDim }, dtype: float64, generator: generator).requires_grad_(true);
        var windows = CausalGroupWindows.Of(randint(2, new[] { 1L, 1, 2, length }, generator: generator), 3);
        var valid = ones(new[] { 1L, length }, ScalarType.Bool);
        var weights = randn(new[] { 1L, 1, length, headDim }, dtype: float64, generator: generator);
        double Loss() { using var s = NewDisposeScope(); return (CausalGroupWindowAttention.Attend(q, k, v, windows, valid, null) * weights).sum().item<double>(); }

        var analytic = torch.autograd.grad([(CausalGroupWindowAttention.Attend(q, k, v, windows, valid, null) * weights).sum()], [q, k, v]);
        var inputs = new[] { q, k, v };
        const double step = 1e-6;
        using (no_grad())
        {
            for (int i = 0; i < 3; i++)
            {
                var flat = inputs[i].view(-1);
                for (long e = 0; e < flat.shape[0]; e++)
                {
                    double original = flat[e].item<double>();
                    flat[e] = original + step;
                    double up = Loss();
                    flat[e] = original - step;
                    double down = Loss();
                    flat[e] = original;
                    double numeric = (up - down) / (2 * step), exact = analytic[i].view(-1)[e].item<double>();
                    Assert.True(Math.Abs(numeric - exact) < 1e-6, $"input {i}, element {e}: finite difference {numeric}, gradient {exact}");
                }
            }
        }
    }

    [Fact]
    public void A_query_sees_the_window_latest_earlier_keys_of_its_group_in_each_round_and_itself()
    {
        using var scope = NewDisposeScope();
        var generator = new torch.Generator(35);
        long length = 30;
        int window = 3, rounds = 2;
        var groups = randint(3, new[] { 1L, 1, (long)rounds, length }, generator: generator);
        var windows = CausalGroupWindows.Of(groups, window);
        // Values are one-hot positions and scores all equal, so the output's weights say which keys were seen and how often.
        var zero = zeros(1, 1, length, length, dtype: float64);
        var v = eye(length, dtype: float64).view(1, 1, length, length);
        var output = CausalGroupWindowAttention.Attend(zero, zero, v, windows, ones(1, length, dtype: ScalarType.Bool), null);

        var g = groups.data<long>().ToArray();
        for (int p = 0; p < length; p++)
        {
            var seen = new HashSet<int> { p };
            for (int r = 0; r < rounds; r++)
            {
                var earlier = Enumerable.Range(0, p).Where(j => g[r * length + j] == g[r * length + p]).TakeLast(window);
                seen.UnionWith(earlier);
            }
            for (int j = 0; j < length; j++)
            {
                double weight = output[0, 0, p, j].item<double>();
                Assert.True(Math.Abs(weight - (seen.Contains(j) ? 1.0 / seen.Count : 0.0)) < 1e-12, $"query {p}, key {j}: weight {weight}, seen {string.Join(",", seen)}");
            }
        }
    }

    // Two rounds (the per-query kernel) and one round (the tiled kernel, with runs and windows longer than its tiles).
    [Theory]
    [InlineData(2, 6, 8, 200, 77)]
    [InlineData(1, 2, 100, 600, 301)]
    [InlineData(1, 1, 70, 400, 250)]
    public void Outputs_up_to_t_are_bit_identical_when_later_positions_change(int rounds, int groupCount, int window, long length, int t)
    {
        using var scope = NewDisposeScope();
        var generator = new torch.Generator(37);
        long headDim = 32;
        var q = randn(new[] { 2L, 2, length, headDim }, generator: generator);
        var v = randn(new[] { 2L, 2, length, headDim }, generator: generator);
        var groups = randint(groupCount, new[] { 2L, 2, rounds, length }, generator: generator);
        var valid = ones(new[] { 2L, length }, ScalarType.Bool);
        var before = CausalGroupWindowAttention.Attend(q, q, v, CausalGroupWindows.Of(groups, window), valid, -5e4);
        var (q2, v2, groups2) = (q.clone(), v.clone(), groups.clone());
        q2[.., .., (t + 1)..] = randn(new[] { 2L, 2, length - t - 1, headDim }, generator: generator);
        v2[.., .., (t + 1)..] = randn(new[] { 2L, 2, length - t - 1, headDim }, generator: generator);
        groups2[.., .., .., (t + 1)..] = randint(groupCount, new[] { 2L, 2, rounds, length - t - 1 }, generator: generator);
        var after = CausalGroupWindowAttention.Attend(q2, q2, v2, CausalGroupWindows.Of(groups2, window), valid, -5e4);
        Assert.True(before[.., .., ..(t + 1)].eq(after[.., .., ..(t + 1)]).all().item<bool>());
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what) =>
        Assert.True(actual.allclose(expected, rtol: 1e-9, atol: 1e-11), $"{what}: max difference {(actual - expected).abs().max().item<double>()}");
}
