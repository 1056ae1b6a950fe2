using XformerDsl.Attention.Sorted;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Routing;

/// <summary>
/// Routing attention (Roy et al., 2021) over shared query-keys: every head's query-keys are layer-normalised without a
/// scale (the keys are the queries); the first heads route with <see cref="RoutingCentroids"/> and the rest, if any, are
/// local heads. Scores are scaled by 1/√headDim, and a token scores itself <see cref="SelfScore"/> (its normalised query
/// is its key, whose score with itself would dominate), so it attends to itself only without another key.
/// <list type="bullet">
/// <item><b>Nearest centroid</b> (causal, the default): each token joins its nearest centroid and attends to the
/// <c>window</c> latest earlier tokens of that cluster, on <see cref="CausalGroupWindowAttention"/>'s fused kernel,
/// which reads the rows through the (cluster, position) order; causal local heads attend to the <c>localWindow</c>
/// previous positions on the same kernel (one group).</item>
/// <item><b>Balanced clusters</b> (bidirectional, or a causal model that asks for the paper's): each centroid takes its
/// <c>window</c> nearest unpadded tokens, attention runs inside each cluster (causally in a causal model), and a token's
/// output is the mean over its clusters; bidirectional local heads attend within contiguous blocks of <c>localWindow</c>
/// (both on <see cref="BalancedClusterAttention"/>'s fused kernel, which packs one cluster at a time).</item>
/// </list>
/// In training the centroids then learn from the routed vectors (<see cref="RoutingCentroids.Learn"/>): this pass routes
/// with the centroids as they were.
/// </summary>
public static class RoutingAttention
{
    /// <summary>The score of a token with itself: low, so it attends to itself only without another key (as Reformer's shared query-keys).</summary>
    public const double SelfScore = -5e4;

    /// <summary>
    /// Attends <c>[batch, heads, seq, headDim]</c> shared query-keys <paramref name="queryKey"/> over values
    /// <paramref name="value"/> of that shape; the first <c>centroids.Means.shape[0]</c> heads route, the others attend
    /// locally. <paramref name="keyPaddingMask"/> is null or bool <c>[batch, seq]</c>, false for padded keys. In
    /// <paramref name="training"/> the centroids learn and record the commitment loss. Returns <c>[batch, heads, seq, headDim]</c>.
    /// </summary>
    /// <exception cref="ArgumentException">When the shapes disagree, naming them.</exception>
    public static Tensor Attend(Tensor queryKey, Tensor value, RoutingCentroids centroids, int window, int localWindow,
        bool causal, bool nearestCentroid, Tensor? keyPaddingMask, bool training) =>
        Run(queryKey, value, centroids, window, localWindow, causal, nearestCentroid, keyPaddingMask, training, fused: true);

    /// <summary>The same attention composed from TorchSharp ops throughout: the oracle of <see cref="Attend"/>.</summary>
    public static Tensor Forward(Tensor queryKey, Tensor value, RoutingCentroids centroids, int window, int localWindow,
        bool causal, bool nearestCentroid, Tensor? keyPaddingMask, bool training) =>
        Run(queryKey, value, centroids, window, localWindow, causal, nearestCentroid, keyPaddingMask, training, fused: false);

    /// <summary>Queries and keys as routing sees them: layer-normalised over the head size, without a scale or shift.</summary>
    public static Tensor Normalise(Tensor queryKey) => nn.functional.layer_norm(queryKey, [queryKey.shape[^1]]);

    private static Tensor Run(Tensor queryKey, Tensor value, RoutingCentroids centroids, int window, int localWindow,
        bool causal, bool nearestCentroid, Tensor? keyPaddingMask, bool training, bool fused)
    {
        long routingHeads = centroids.Means.shape[0];
        CheckInputs(queryKey, value, routingHeads, window, localWindow, keyPaddingMask);
        using var scope = NewDisposeScope();
        long batch = queryKey.shape[0], heads = queryKey.shape[1], seq = queryKey.shape[2], localHeads = heads - routingHeads;
        var normalised = Normalise(queryKey);
        var valid = keyPaddingMask?.to(ScalarType.Bool) ?? ones(new[] { batch, seq }, ScalarType.Bool, queryKey.device);

        var routed = normalised.narrow(1, 0, routingHeads);
        var routedValues = value.narrow(1, 0, routingHeads);
        Tensor attended, nearest;
        if (causal && nearestCentroid)
        {
            nearest = centroids.Nearest(routed);
            attended = WithinGroups(routed, routedValues, nearest, window, valid, fused);
        }
        else
        {
            var nearness = centroids.Nearness(routed);
            nearest = nearness.argmax(-1);
            var (members, memberValid) = BalancedClusterAttention.TopTokensPerCentroid(nearness, valid, window);
            attended = InClusters(routed, routedValues, members, memberValid, causal, fused);
        }
        if (training)
            centroids.Learn(routed, nearest, valid);
        if (localHeads == 0)
            return attended.MoveToOuterDisposeScope();

        var local = normalised.narrow(1, routingHeads, localHeads);
        var localValues = value.narrow(1, routingHeads, localHeads);
        Tensor localAttended;
        if (causal)
        {
            // One group: the sorted order is the position order, so the window is the localWindow previous positions.
            localAttended = WithinGroups(local, localValues, zeros(new[] { batch, localHeads, seq }, ScalarType.Int64, queryKey.device), localWindow, valid, fused);
        }
        else
        {
            var (members, memberValid) = BalancedClusterAttention.Blocks(batch, localHeads, seq, localWindow, valid);
            localAttended = InClusters(local, localValues, members, memberValid, causal: false, fused);
        }
        return cat([attended, localAttended], 1).MoveToOuterDisposeScope();
    }

    // Each token attends to itself and the `window` latest earlier tokens of its group (groups [batch, heads, seq]).
    private static Tensor WithinGroups(Tensor queryKey, Tensor value, Tensor groups, int window, Tensor valid, bool fused)
    {
        var windows = CausalGroupWindows.Of(groups.unsqueeze(2), window);
        return fused
            ? CausalGroupWindowAttention.Attend(queryKey, queryKey, value, windows, valid, SelfScore)
            : CausalGroupWindowReference.Compose(queryKey, queryKey, value, windows, valid, SelfScore).Output;
    }

    private static Tensor InClusters(Tensor queryKey, Tensor value, Tensor members, Tensor memberValid, bool causal, bool fused) =>
        fused
            ? BalancedClusterAttention.Attend(queryKey, value, members, memberValid, causal)
            : BalancedClusterAttention.Compose(queryKey, value, members, memberValid, causal);

    private static void CheckInputs(Tensor queryKey, Tensor value, long routingHeads, int window, int localWindow, Tensor? keyPaddingMask)
    {
        if (queryKey.dim() != 4 || !queryKey.shape.SequenceEqual(value.shape))
            throw new ArgumentException($"Routing attention needs query-keys and values of one shape [batch, heads, seq, headDim], but got [{string.Join(", ", queryKey.shape)}] and [{string.Join(", ", value.shape)}].");
        if (queryKey.shape[1] < routingHeads)
            throw new ArgumentException($"Routing attention: the centroids are for {routingHeads} routing heads, but the query-keys have {queryKey.shape[1]} heads; give the centroids at most as many heads.");
        if (keyPaddingMask is not null && !keyPaddingMask.shape.SequenceEqual(new[] { queryKey.shape[0], queryKey.shape[2] }))
            throw new ArgumentException($"Routing attention: the key padding mask must be [batch, seq] = [{queryKey.shape[0]}, {queryKey.shape[2]}], but is [{string.Join(", ", keyPaddingMask.shape)}].");
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(localWindow, 1);
    }
}
