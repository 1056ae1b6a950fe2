using TorchSharp;
using XformerDsl.Training;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Routing;

/// <summary>
/// The online k-means of one routing attention layer (Roy et al., 2021, §4.1): <c>means</c>, a buffer
/// <c>[heads, clusters, headDim]</c> saved in checkpoints. Routed vectors are layer-normalised without a scale, so their
/// elements have unit variance; the centroids start as standard normal draws from a fixed seed, on the same scale, so an
/// untrained (or never-trained) model routes, runs and generates deterministically (lucidrains' implementation
/// initialises them at the first training pass and fails before it). Training passes move each centroid toward the mean
/// of the unpadded vectors nearest it by an exponential moving average, and record the commitment loss
/// β · mean ‖x − sg(μ)‖², which the trainer adds (<see cref="IAuxiliaryLossSource"/>).
/// </summary>
public sealed class RoutingCentroids : nn.Module, IAuxiliaryLossSource
{
    // The seed of the initial centroids: any fixed value; layers differ once trained.
    private const long InitialSeed = 20210101;

    private readonly Tensor means;
    private readonly XformerDsl.Training.AuxiliaryLossSlot _commitmentLoss = new();

    /// <summary>
    /// Centroids for <paramref name="heads"/> routing heads of <paramref name="headDim"/> dimensions, <paramref name="clusters"/>
    /// per head, moved with <paramref name="decay"/> and held to with commitment weight <paramref name="commitmentWeight"/>.
    /// </summary>
    public RoutingCentroids(int heads, int clusters, int headDim, double decay, double commitmentWeight) : base(nameof(RoutingCentroids))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(heads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(clusters, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(headDim, 1);
        if (!(decay > 0 && decay < 1))
            throw new ArgumentOutOfRangeException(nameof(decay), decay, "The centroids' decay must lie strictly between 0 and 1 (0.999 is the paper's).");
        if (!(commitmentWeight >= 0) || double.IsInfinity(commitmentWeight))
            throw new ArgumentOutOfRangeException(nameof(commitmentWeight), commitmentWeight, "The commitment weight must be finite and 0 or more (0.0001 is the paper's).");
        Decay = decay;
        CommitmentWeight = commitmentWeight;
        // The module owns its buffer: a dispose scope around the construction must not free it.
        means = empty(heads, clusters, headDim).DetachFromDisposeScope();
        Reset();
        register_buffer(nameof(means), means);
    }

    /// <summary><c>[heads, clusters, headDim]</c>: the centroids.</summary>
    public Tensor Means => means;

    /// <summary>The moving-average decay per training pass.</summary>
    public double Decay { get; }

    /// <summary>β of the commitment loss.</summary>
    public double CommitmentWeight { get; }

    /// <summary>Sets the centroids to their deterministic initial values.</summary>
    public void Reset()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var generator = new Generator((ulong)InitialSeed);
        means.copy_(randn(means.shape, generator: generator).to(means.dtype, means.device));
    }

    /// <summary>
    /// Each vector's nearest centroid: <paramref name="routed"/> is <c>[batch, heads, length, headDim]</c>, the result int64
    /// <c>[batch, heads, length]</c>. Nearest by ‖x − μ‖², computed as the largest x·μ − ‖μ‖²/2 (‖x‖² is the same for
    /// every centroid), so it depends on the vector alone.
    /// </summary>
    public Tensor Nearest(Tensor routed) => Nearness(routed).argmax(-1);

    /// <summary><c>[batch, heads, length, clusters]</c>: x·μ − ‖μ‖²/2, larger for nearer centroids.</summary>
    public Tensor Nearness(Tensor routed)
    {
        CheckRouted(routed);
        using var scope = NewDisposeScope();
        // Routing is a choice, not differentiated: no graph, so the centroids' in-place update after it is safe.
        using var noGradient = no_grad();
        var centroids = means.to(routed.dtype).detach();
        var nearness = routed.matmul(centroids.transpose(-2, -1).unsqueeze(0)) - 0.5 * centroids.square().sum(-1).view(1, centroids.shape[0], 1, -1);
        return nearness.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A training pass's bookkeeping for <paramref name="routed"/> <c>[batch, heads, length, headDim]</c> assigned to
    /// <paramref name="nearest"/> <c>[batch, heads, length]</c>, counting only positions where <paramref name="valid"/>
    /// (bool <c>[batch, length]</c>) is true: records the commitment loss (its gradient reaches the routed vectors, not the
    /// centroids), then moves each centroid that was assigned vectors toward their mean, μ ← Decay · μ + (1 − Decay) · mean.
    /// </summary>
    public void Learn(Tensor routed, Tensor nearest, Tensor valid)
    {
        CheckRouted(routed);
        long batch = routed.shape[0], heads = routed.shape[1], length = routed.shape[2], headDim = routed.shape[3], clusters = means.shape[1];
        using (var scope = NewDisposeScope())
        {
            Tensor? loss = null;
            var weight = valid.to(routed.dtype).view(batch, 1, length, 1);
            var count = weight.sum() * heads;
            if (CommitmentWeight > 0)
            {
                var assigned = CentroidsOf(nearest).to(routed.dtype).detach();                       // [b, h, l, d]
                var squared = (routed - assigned).square() * weight;
                loss = squared.sum() / (count.clamp_min(1) * headDim);
            }
            // Kept past every dispose scope of the forward pass until the trainer takes it; a loss nobody took (a
            // training-mode pass outside the trainer) is freed with its graph.
            _commitmentLoss.Set(loss, CommitmentWeight);
            using var _ = no_grad();
            // Per head and cluster: the sum and number of the valid vectors assigned to it.
            var flat = (nearest + arange(heads, ScalarType.Int64, routed.device).view(1, heads, 1) * clusters).reshape(-1);
            var sums = zeros(heads * clusters, headDim, dtype: means.dtype, device: means.device)
                .index_add_(0, flat, (routed.detach() * weight).reshape(-1, headDim).to(means.dtype), 1);
            var counts = zeros(heads * clusters, dtype: means.dtype, device: means.device)
                .index_add_(0, flat, weight.expand(batch, heads, length, 1).reshape(-1).to(means.dtype), 1);
            var taken = counts.gt(0).view(heads, clusters, 1);
            var mean = (sums / counts.clamp_min(1).unsqueeze(-1)).view(heads, clusters, headDim);
            means.copy_(where(taken, means * Decay + mean * (1 - Decay), means));
        }
    }

    /// <summary><c>[batch, heads, length, headDim]</c>: the centroid of each assignment in <paramref name="nearest"/>.</summary>
    public Tensor CentroidsOf(Tensor nearest)
    {
        long batch = nearest.shape[0], heads = nearest.shape[1], length = nearest.shape[2], headDim = means.shape[2];
        return means.unsqueeze(0).expand(batch, -1, -1, -1)
            .gather(2, nearest.unsqueeze(-1).expand(batch, heads, length, headDim));
    }

    /// <inheritdoc/>
    public Tensor? TakeAuxiliaryLoss() => _commitmentLoss.Take();

    private void CheckRouted(Tensor routed)
    {
        if (routed.dim() != 4 || routed.shape[1] != means.shape[0] || routed.shape[3] != means.shape[2])
            throw new ArgumentException($"Routed vectors must be [batch, {means.shape[0]} routing heads, length, {means.shape[2]}], but are [{string.Join(", ", routed.shape)}].", nameof(routed));
    }
}
