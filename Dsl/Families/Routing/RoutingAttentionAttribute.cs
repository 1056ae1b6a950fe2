using System;
using XformerDsl.Specs;

namespace XformerDsl
{
    /// <summary>
    /// Routing attention (Roy, Saffar, Vaswani &amp; Grangier, 2021, "Efficient Content-Based Sparse Attention with
    /// Routing Transformers"): queries and keys are layer-normalised (without a learned scale) and routed by online
    /// k-means to <see cref="Clusters"/> centroids per head; each token attends only inside its cluster, so attention costs
    /// O(L · Window) instead of O(L²). Queries and keys share one projection (keys are the queries, as in the paper's
    /// decoders and in Reformer; the official encoders keep two, but one makes a query's cluster its keys' cluster), a
    /// token attends to itself only when it has no other key, and by default each token joins its
    /// nearest centroid and attends to the <see cref="Window"/> latest earlier tokens of its cluster
    /// (<see cref="RoutingMembership.NearestCentroid"/>), so the output at t depends on tokens up to t and the model steps
    /// token by token; bidirectional models use the paper's balanced clusters (each centroid takes its Window nearest
    /// tokens). The centroids, <c>[routing heads, Clusters, head size]</c>, are a buffer saved in checkpoints, initialised
    /// deterministically (an untrained model runs and generates), and updated only in training, by an exponential moving
    /// average (<see cref="Decay"/>) of the unpadded tokens assigned to them; the commitment loss
    /// (<see cref="CommitmentWeight"/>) pulls the routed vectors toward their centroids and is added by the trainer
    /// (<c>AuxiliaryLosses</c>). <see cref="LocalHeads"/> of the heads attend to a local window instead, as in the paper's
    /// best configurations, and the <c>Layers</c>/<c>Every</c> selectors put routing in chosen layers only.
    /// </summary>
    /// <example>
    /// <code>
    /// [Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 4096)]
    /// [RoutingAttention(Heads = 4, Clusters = 16, LocalHeads = 2, LocalWindow = 128, Every = 2)]
    /// [SlidingWindowAttention(Heads = 4, Window = 256)]
    /// [FeedForward(Hidden = 1024)]
    /// public partial class RoutingGpt;
    /// </code>
    /// </example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class RoutingAttentionAttribute : AttentionAttribute
    {
        /// <summary>
        /// Centroids per routing head (required; the paper uses √L-ish counts such as 8 to 64). At most MaxLength
        /// (XF0190); range 1 to 4,096.
        /// </summary>
        public int Clusters { get; set; }

        /// <summary>
        /// Tokens a query attends to in its cluster: the earlier tokens of its cluster in causal models by default, the
        /// tokens each centroid takes otherwise. 0 (the default) means MaxLength / Clusters, the paper's equal-size
        /// clusters. At most MaxLength (XF0191).
        /// </summary>
        public int Window { get; set; }

        /// <summary>
        /// How many of the heads (the last ones) attend to a local window of <see cref="LocalWindow"/> positions instead of
        /// routing; 0 by default. At least one head must route (XF0192).
        /// </summary>
        public int LocalHeads { get; set; }

        /// <summary>
        /// The local heads' window: in causal models the LocalWindow previous positions and the token itself, in
        /// bidirectional models the token's block of LocalWindow positions. 0 (the default) means the routing
        /// <see cref="Window"/>. At most MaxLength (XF0191).
        /// </summary>
        public int LocalWindow { get; set; }

        /// <summary>
        /// The centroids' moving-average decay per training step, in (0, 1) (XF0193): μ ← Decay · μ + (1 − Decay) · the mean
        /// of the tokens assigned to μ. 0.999 by default, as the official implementation.
        /// </summary>
        public double Decay { get; set; } = RoutingAttentionSpec.DefaultDecay;

        /// <summary>
        /// β of the commitment loss β · mean ‖x − sg(μ)‖² over the routed vectors x and their centroids μ, which reaches
        /// the projections and not the centroids; 0.0001 by default, as the official implementation. 0 turns it off;
        /// negative values are an error (XF0194).
        /// </summary>
        public double CommitmentWeight { get; set; } = RoutingAttentionSpec.DefaultCommitmentWeight;

        /// <summary>
        /// In causal models, which tokens a centroid gathers: <see cref="RoutingMembership.NearestCentroid"/> (the default;
        /// causal, steps) or <see cref="RoutingMembership.TopTokensPerCentroid"/> (the paper's, whose clusters depend on later
        /// tokens). Bidirectional models always use the paper's.
        /// </summary>
        public RoutingMembership Membership { get; set; } = RoutingAttentionSpec.DefaultMembership;
    }
}
