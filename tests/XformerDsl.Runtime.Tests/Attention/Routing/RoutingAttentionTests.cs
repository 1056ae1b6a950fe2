using TorchSharp;
using XformerDsl.Attention.Routing;
using XformerDsl.Training;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Attention.Routing;

/// <summary>
/// Routing attention against independent compositions (each token's keys listed by a plain loop from its nearest centroid,
/// and the paper's balanced clusters attended one cluster at a time), the fused path against its composed oracle in values
/// and gradients, float64 finite differences, padding and batches; the online k-means (moves only in training, by the
/// moving average of the unpadded tokens nearest each centroid) and its commitment loss (reaches the projections, not the
/// centroids); and what a declared model keeps of it (the centroids in its state dict, deterministic before training).
/// </summary>
public class RoutingAttentionTests
{
    private const double Self = RoutingAttention.SelfScore;

    [Theory]
    [InlineData(0, 5)]
    [InlineData(2, 3)]
    public void Nearest_centroid_routing_attends_to_the_window_latest_earlier_tokens_of_a_tokens_cluster(int localHeads, int localWindow)
    {
        using var scope = NewDisposeScope();
        var generator = new torch.Generator(41);
        long batch = 2, heads = 4, length = 40, headDim = 8;
        int window = 4;
        var (qk, v) = (randn(new[] { batch, heads, length, headDim }, float64, generator: generator), randn(new[] { batch, heads, length, headDim }, float64, generator: generator));
        var valid = rand(new[] { batch, length }, float64, generator: generator).gt(0.2);
        using var centroids = Centroids(heads - localHeads, 5, headDim);

        var actual = RoutingAttention.Attend(qk, v, centroids, window, localWindow, causal: true, nearestCentroid: true, valid, training: false);

        var x = LayerNorm(qk);
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
            {
                bool routes = h < heads - localHeads;
                var group = routes ? NearestByDistance(x[b, h], centroids.Means[h]) : new long[length];
                var expected = Attention(x[b, h], v[b, h], (i, j) =>
                {
                    if (j >= i || !valid[b, j].item<bool>() || group[j] != group[i]) return false;
                    // Among the `window` latest earlier tokens of i's group (padded ones count: they hold a place in the order).
                    int later = Enumerable.Range(j + 1, i - j - 1).Count(k => group[k] == group[i]);
                    return later < (routes ? window : localWindow);
                });
                AssertClose(expected, actual[b, h], 1e-10, $"batch {b}, head {h}");
            }
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(false, 1)]
    [InlineData(true, 0)]
    public void Balanced_clusters_take_each_centroids_nearest_tokens_and_average_a_tokens_clusters(bool causal, int localHeads)
    {
        using var scope = NewDisposeScope();
        var generator = new torch.Generator(43);
        long batch = 2, heads = 3, length = 30, headDim = 6, clusters = 4;
        int window = 9, localWindow = 7;
        var (qk, v) = (randn(new[] { batch, heads, length, headDim }, float64, generator: generator), randn(new[] { batch, heads, length, headDim }, float64, generator: generator));
        var valid = ones(new[] { batch, length }, ScalarType.Bool);
        valid[1, 25..] = false;
        using var centroids = Centroids(heads - localHeads, clusters, headDim);

        var actual = RoutingAttention.Attend(qk, v, centroids, window, localWindow, causal, nearestCentroid: false, valid, training: false);

        var x = LayerNorm(qk);
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
            {
                var sum = zeros(length, headDim, float64);
                var count = new int[length];
                IEnumerable<int[]> groups = h < heads - localHeads
                    ? Enumerable.Range(0, (int)clusters).Select(c => Enumerable.Range(0, (int)length).Where(i => valid[b, i].item<bool>())
                        .OrderBy(i => (x[b, h, i] - centroids.Means[h, c]).square().sum().item<double>()).Take(window).Order().ToArray())
                    : Enumerable.Range(0, (int)((length + localWindow - 1) / localWindow)).Select(block => Enumerable.Range(block * localWindow, localWindow)
                        .Where(i => i < length && valid[b, i].item<bool>()).ToArray());
                foreach (var members in groups)
                {
                    var index = tensor(members.Select(i => (long)i).ToArray());
                    var attended = Attention(x[b, h].index_select(0, index), v[b, h].index_select(0, index), (i, j) => !causal || members[j] < members[i]);
                    for (int m = 0; m < members.Length; m++)
                    {
                        sum[members[m]] += attended[m];
                        count[members[m]]++;
                    }
                }
                for (int i = 0; i < length; i++)
                    AssertClose(count[i] == 0 ? v[b, h, i] : sum[i] / count[i], actual[b, h, i], 1e-10, $"batch {b}, head {h}, token {i} in {count[i]} clusters");
            }
    }

    [Fact]
    public void A_causal_model_with_balanced_clusters_sees_the_future_and_the_nearest_centroid_does_not()
    {
        // Why NearestCentroid is the causal default: whether token t is among a centroid's nearest depends on later tokens.
        using var scope = NewDisposeScope();
        var generator = new torch.Generator(45);
        long length = 64, headDim = 8;
        var qk = randn(new[] { 1L, 2, length, headDim }, float64, generator: generator);
        var v = randn(new[] { 1L, 2, length, headDim }, float64, generator: generator);
        var edited = qk.clone();
        edited[.., .., 40..] = randn(new[] { 1L, 2, length - 40, headDim }, float64, generator: generator) * 3;
        using var centroids = Centroids(2, 4, headDim);
        foreach (bool nearest in new[] { true, false })
        {
            var before = RoutingAttention.Attend(qk, v, centroids, 16, 16, causal: true, nearestCentroid: nearest, null, training: false);
            var after = RoutingAttention.Attend(edited, v, centroids, 16, 16, causal: true, nearestCentroid: nearest, null, training: false);
            bool same = before[.., .., ..40].eq(after[.., .., ..40]).all().item<bool>();
            Assert.True(same == nearest, nearest ? "nearest-centroid routing changed earlier outputs" : "balanced clusters were expected to change earlier outputs here");
        }
    }

    // Causal nearest clusters (sorted-row kernel, causal local heads), bidirectional balanced clusters with local blocks
    // and causal balanced clusters (cluster kernel).
    [Theory]
    [InlineData(true, true, true)]
    [InlineData(false, true, true)]
    [InlineData(true, false, false)]
    [InlineData(true, true, false)]
    public void Fused_equals_the_composition_in_values_and_gradients(bool withPadding, bool causal, bool nearestCentroid)
    {
        using var scope = NewDisposeScope();
        var generator = new torch.Generator(47);
        long batch = 2, heads = 3, length = 45, headDim = 16;
        var qk = randn(new[] { batch, heads, length, headDim }, float64, generator: generator).requires_grad_(true);
        var v = randn(new[] { batch, heads, length, headDim }, float64, generator: generator).requires_grad_(true);
        Tensor? valid = withPadding ? rand(new[] { batch, length }, float64, generator: generator).gt(0.25) : null;
        var upstream = randn(new[] { batch, heads, length, headDim }, float64, generator: generator);
        using var centroids = Centroids(2, 6, headDim);

        var expected = RoutingAttention.Forward(qk, v, centroids, 7, 5, causal, nearestCentroid, valid, training: false);
        var expectedGrads = torch.autograd.grad([expected], [qk, v], [upstream]);
        var actual = RoutingAttention.Attend(qk, v, centroids, 7, 5, causal, nearestCentroid, valid, training: false);
        var actualGrads = torch.autograd.grad([actual], [qk, v], [upstream]);

        AssertClose(expected, actual, 1e-11, "output");
        AssertClose(expectedGrads[0], actualGrads[0], 1e-10, "query-key gradient");
        AssertClose(expectedGrads[1], actualGrads[1], 1e-10, "value gradient");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Gradients_agree_with_float64_finite_differences(bool nearestCentroid)
    {
        using var scope = NewDisposeScope();
        var generator = new torch.Generator(49);
        long length = 12, headDim = 4;
        var qk = randn(new[] { 1L, 2, length, headDim }, float64, generator: generator).requires_grad_(true);
        var v = randn(new[] { 1L, 2, length, headDim }, float64, generator: generator).requires_grad_(true);
        var weights = randn(new[] { 1L, 2, length, headDim }, float64, generator: generator);
        using var centroids = Centroids(1, 3, headDim);

        AttentionKernelKit.AssertGradientsMatchFiniteDifferences(
            inputs => (RoutingAttention.Attend(inputs[0], inputs[1], centroids, 4, 3, causal: true, nearestCentroid, null, training: false) * weights).sum(),
            index => index == 0 ? "query-key gradient" : "value gradient", qk, v);
    }

    [Fact]
    public void Centroids_move_only_in_training_by_the_moving_average_of_their_unpadded_tokens()
    {
        using var scope = NewDisposeScope();
        var generator = new torch.Generator(51);
        long batch = 2, heads = 2, length = 50, headDim = 8;
        var qk = randn(new[] { batch, heads, length, headDim }, float64, generator: generator);
        var v = randn(new[] { batch, heads, length, headDim }, float64, generator: generator);
        var valid = ones(new[] { batch, length }, ScalarType.Bool);
        valid[0, 40..] = false;
        using var centroids = Centroids(heads, 4, headDim, decay: 0.9);
        var initial = centroids.Means.clone();

        RoutingAttention.Attend(qk, v, centroids, 8, 8, causal: true, nearestCentroid: true, valid, training: false);
        Assert.True(centroids.Means.eq(initial).all().item<bool>(), "an evaluation pass moved the centroids");

        // Padded tokens do not count: changing them changes nothing.
        var paddedChanged = qk.clone();
        paddedChanged[0, .., 40..] = randn(new[] { heads, 10L, headDim }, float64, generator: generator) * 5;
        using var twin = Centroids(heads, 4, headDim, decay: 0.9);
        RoutingAttention.Attend(qk, v, centroids, 8, 8, causal: true, nearestCentroid: true, valid, training: true);
        RoutingAttention.Attend(paddedChanged, v, twin, 8, 8, causal: true, nearestCentroid: true, valid, training: true);
        Assert.True(centroids.Means.eq(twin.Means).all().item<bool>(), "padded tokens moved the centroids");

        var x = LayerNorm(qk);
        for (int h = 0; h < heads; h++)
        {
            var assigned = new List<Tensor>[4];
            for (int c = 0; c < 4; c++) assigned[c] = [];
            for (int b = 0; b < batch; b++)
            {
                var group = NearestByDistance(x[b, h], initial[h]);
                for (int i = 0; i < length; i++)
                    if (valid[b, i].item<bool>())
                        assigned[group[i]].Add(x[b, h, i]);
            }
            for (int c = 0; c < 4; c++)
            {
                var expected = assigned[c].Count == 0 ? initial[h, c] : initial[h, c] * 0.9 + stack(assigned[c]).mean([0]) * 0.1;
                AssertClose(expected, centroids.Means[h, c], 1e-12, $"head {h}, centroid {c} ({assigned[c].Count} tokens)");
            }
        }
    }

    [Fact]
    public void The_commitment_loss_is_beta_times_the_mean_squared_distance_to_the_centroids_and_is_taken_once()
    {
        using var scope = NewDisposeScope();
        var generator = new torch.Generator(53);
        long length = 30, headDim = 8;
        var qk = randn(new[] { 1L, 2, length, headDim }, float64, generator: generator);
        var valid = ones(new[] { 1L, length }, ScalarType.Bool);
        valid[0, 20..] = false;
        using var centroids = Centroids(2, 3, headDim, commitmentWeight: 0.25);
        var initial = centroids.Means.clone();

        RoutingAttention.Attend(qk, qk, centroids, 8, 8, causal: true, nearestCentroid: true, valid, training: true);
        var loss = centroids.TakeAuxiliaryLoss();

        var x = LayerNorm(qk)[.., .., ..20];
        double squared = 0;
        for (int h = 0; h < 2; h++)
        {
            var group = NearestByDistance(x[0, h], initial[h]);
            for (int i = 0; i < 20; i++)
                squared += (x[0, h, i] - initial[h, group[i]]).square().sum().item<double>();
        }
        Assert.NotNull(loss);
        Assert.Equal(0.25 * squared / (2 * 20 * headDim), loss!.item<double>(), 12);
        Assert.Null(centroids.TakeAuxiliaryLoss());
    }

    [Fact]
    public void The_commitment_loss_trains_the_projections_and_not_the_centroids()
    {
        using var model = Create();
        model.train();
        using var scope = NewDisposeScope();
        var tokens = Models.ModelTestKit.RandomTokens(2, 64, 32, seed: 5);
        model.call(tokens);
        var auxiliary = AuxiliaryLosses.Take(model);
        Assert.NotNull(auxiliary);
        Assert.Null(AuxiliaryLosses.Take(model));
        auxiliary!.backward();

        var parameters = model.named_parameters().ToDictionary(pair => pair.name, pair => pair.parameter);
        foreach (int layer in new[] { 0, 1 })
        {
            var gradient = parameters[$"layers.{layer}.attn.qk_proj.weight"].grad;
            Assert.True(gradient is not null && gradient.abs().sum().item<double>() > 0, $"layer {layer}: no commitment gradient reached qk_proj");
        }
        // The last layer's values take no part in any routing (earlier layers' values feed later layers' routing).
        Assert.True(parameters["layers.1.attn.v_proj.weight"].grad is not { } valueGradient || valueGradient.abs().sum().item<double>() == 0,
            "the commitment loss reached the last layer's value projection");
        var buffers = model.named_buffers().Where(pair => pair.name.EndsWith("centroids.means", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, buffers.Count);
        Assert.All(buffers, pair => Assert.False(pair.buffer.requires_grad || pair.buffer.grad is not null, $"{pair.name} takes a gradient"));
        Assert.DoesNotContain(parameters.Keys, name => name.Contains("centroids", StringComparison.Ordinal));
    }

    [Fact]
    public void The_trainer_adds_the_auxiliary_losses_to_the_task_loss()
    {
        // Two identical models run the same training pass: one's losses are read layer by layer, the other's added.
        using var read = Create();
        using var added = Create();
        read.train();
        added.train();
        using var scope = NewDisposeScope();
        var tokens = Models.ModelTestKit.RandomTokens(1, 32, 32, seed: 6);
        read.call(tokens);
        added.call(tokens);
        double expected = 1.5 + read.modules().OfType<RoutingCentroids>().Sum(centroids => centroids.TakeAuxiliaryLoss()!.item<double>());
        var task = tensor(1.5, float64);

        Assert.Equal(expected, AuxiliaryLosses.AddTo(task, added).item<double>(), 12);
        Assert.Same(task, AuxiliaryLosses.AddTo(task, added));
    }

    [Fact]
    public void A_declared_model_keeps_its_centroids_in_its_state_dict_and_starts_them_deterministically()
    {
        using var first = Create();
        using var second = Create();
        var state = first.state_dict();
        Assert.Contains("layers.0.attn.centroids.means", state.Keys);
        Assert.True(state["layers.0.attn.centroids.means"].eq(second.state_dict()["layers.0.attn.centroids.means"]).all().item<bool>());
        var untrained = state["layers.0.attn.centroids.means"].clone();

        // Trained centroids travel with the state dict: a loaded model routes as the trained one.
        first.train();
        using (NewDisposeScope())
            first.call(Models.ModelTestKit.RandomTokens(2, 64, 32, seed: 7));
        first.eval();
        Assert.False(first.state_dict()["layers.0.attn.centroids.means"].eq(untrained).all().item<bool>(), "training did not move the centroids");
        second.load_state_dict(first.state_dict());
        using var scope = NewDisposeScope();
        var tokens = Models.ModelTestKit.RandomTokens(1, 100, 32, seed: 8);
        Assert.True(first.call(tokens).eq(second.call(tokens)).all().item<bool>());
    }

    [Fact]
    public void Centroids_built_inside_a_dispose_scope_outlive_it()
    {
        RoutingCentroids centroids;
        using (NewDisposeScope())
            centroids = new RoutingCentroids(2, 4, 8, 0.999, 1e-4);
        using (centroids)
        using (NewDisposeScope())
            Assert.Equal(new long[] { 2, 4, 8 }, centroids.Means.shape);
    }

    private static RoutingLm Create() => Models.ModelTestKit.Create(() => new RoutingLm());

    private static RoutingCentroids Centroids(long heads, long clusters, long headDim, double decay = 0.999, double commitmentWeight = 1e-4)
    {
        var centroids = new RoutingCentroids((int)heads, (int)clusters, (int)headDim, decay, commitmentWeight);
        centroids.to(float64);
        return centroids;
    }

    // Layer normalisation without a scale, written out.
    private static Tensor LayerNorm(Tensor x)
    {
        var mean = x.mean([-1], keepdim: true);
        var variance = (x - mean).square().mean([-1], keepdim: true);
        return (x - mean) / (variance + 1e-5).sqrt();
    }

    // Each row's nearest centroid by squared distance.
    private static long[] NearestByDistance(Tensor rows, Tensor means) =>
        Enumerable.Range(0, (int)rows.shape[0]).Select(i => (long)(rows[i] - means).square().sum(-1).argmin().item<long>()).ToArray();

    // Softmax attention of rows over themselves where sees(query, key), the query scoring itself SelfScore, scaled by 1/√d.
    private static Tensor Attention(Tensor x, Tensor v, Func<int, int, bool> sees)
    {
        long n = x.shape[0];
        var scores = x.matmul(x.t()) / Math.Sqrt(x.shape[1]);
        var mask = zeros(n, n, ScalarType.Bool);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (i != j && sees(i, j))
                    mask[i, j] = true;
        scores = scores.masked_fill(mask.logical_not(), double.NegativeInfinity).masked_fill(eye(n, dtype: ScalarType.Bool), Self);
        return scores.softmax(-1).matmul(v);
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what) =>
        Assert.True(actual.allclose(expected, rtol: tolerance, atol: tolerance), $"{what}: max difference {(actual - expected).abs().max().item<double>()}");
}
