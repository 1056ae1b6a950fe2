using XformerDsl.Attention.Sorted;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Routing;

/// <summary>
/// The recurrent state of one causal routing attention layer that routes to the nearest centroid
/// (<see cref="RoutingAttention"/>): per routing head, a ring of the latest <c>window</c> keys and values of every
/// cluster; per local head, a ring of the latest <c>localWindow</c>. A new token routes with the layer's centroids as they
/// are (evaluation does not move them), attends to its cluster's ring and itself, then joins it; so a step equals the
/// parallel forward at that position, in fixed memory: <c>[batch, heads, clusters, window, headDim]</c> keys and values.
/// </summary>
public sealed class RoutingStepState : XformerDsl.Modules.ILayerState
{
    private readonly RoutingCentroids _centroids;
    private readonly GroupRingCache _routed;
    private readonly GroupRingCache? _local;

    /// <summary>An empty state for <paramref name="batch"/> sequences of a layer with <paramref name="heads"/> heads routing with <paramref name="centroids"/>.</summary>
    public RoutingStepState(long batch, int heads, RoutingCentroids centroids, int window, int localWindow, Device device, ScalarType dtype)
    {
        _centroids = centroids;
        long routingHeads = centroids.Means.shape[0], clusters = centroids.Means.shape[1], headDim = centroids.Means.shape[2];
        if (heads < routingHeads)
            throw new ArgumentException($"RoutingStepState: the centroids are for {routingHeads} routing heads, but the layer has {heads} heads.", nameof(heads));
        _routed = new GroupRingCache(batch, routingHeads, clusters, window, headDim, device, dtype);
        if (heads > routingHeads)
            _local = new GroupRingCache(batch, heads - routingHeads, 1, localWindow, headDim, device, dtype);
    }

    /// <inheritdoc/>
    public long Elements => _routed.Elements + (_local?.Elements ?? 0);

    /// <summary>
    /// Attends each sequence's new token: <paramref name="queryKey"/> and <paramref name="value"/> are
    /// <c>[batch, heads, 1, headDim]</c>, <paramref name="positions"/> int64 <c>[batch]</c>, <paramref name="active"/> null or
    /// bool <c>[batch]</c> (inactive sequences keep their caches). Returns <c>[batch, heads, 1, headDim]</c>.
    /// </summary>
    public Tensor Step(Tensor queryKey, Tensor value, Tensor positions, Tensor? active)
    {
        using var scope = NewDisposeScope();
        long batch = queryKey.shape[0], heads = queryKey.shape[1], routingHeads = _centroids.Means.shape[0];
        var normalised = RoutingAttention.Normalise(queryKey);
        var routed = normalised.narrow(1, 0, routingHeads);
        var cluster = _centroids.Nearest(routed).view(batch, routingHeads);
        var attended = _routed.Step(routed, routed, value.narrow(1, 0, routingHeads), cluster, positions, active, RoutingAttention.SelfScore);
        if (_local is null)
            return attended.MoveToOuterDisposeScope();
        long localHeads = heads - routingHeads;
        var local = normalised.narrow(1, routingHeads, localHeads);
        var localAttended = _local.Step(local, local, value.narrow(1, routingHeads, localHeads),
            zeros(new[] { batch, localHeads }, ScalarType.Int64, queryKey.device), positions, active, RoutingAttention.SelfScore);
        return cat([attended, localAttended], 1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void Reorder(Tensor batchIndices)
    {
        _routed.Reorder(batchIndices);
        _local?.Reorder(batchIndices);
    }

    /// <summary>Frees the caches (the centroids belong to the layer).</summary>
    public void Dispose()
    {
        _routed.Dispose();
        _local?.Dispose();
    }
}
