namespace XformerDsl.Specs
{
    /// <summary>
    /// The rules of <see cref="RoutingAttentionSpec"/> (XF0190–XF0199) and the supported ranges of its arguments, shared by
    /// the generator's diagnostics and run-time validation.
    /// </summary>
    public static class RoutingAttentionRules
    {
        /// <summary><see cref="RoutingAttentionAttribute.Clusters"/>: 1 to 4,096.</summary>
        public static SizeLimit Clusters { get; } = new SizeLimit("RoutingAttention", "Clusters", 1, 4096, 16);

        /// <summary><see cref="RoutingAttentionAttribute.Window"/>: 0 (MaxLength / Clusters) to 2^20.</summary>
        public static SizeLimit Window { get; } = new SizeLimit("RoutingAttention", "Window", 0, 1 << 20, 256);

        /// <summary><see cref="RoutingAttentionAttribute.LocalHeads"/>: 0 to 1,024.</summary>
        public static SizeLimit LocalHeads { get; } = new SizeLimit("RoutingAttention", "LocalHeads", 0, 1024, 2);

        /// <summary><see cref="RoutingAttentionAttribute.LocalWindow"/>: 0 (the routing window) to 2^20.</summary>
        public static SizeLimit LocalWindow { get; } = new SizeLimit("RoutingAttention", "LocalWindow", 0, 1 << 20, 128);

        /// <summary>XF0190: more centroids than positions leaves clusters that can never fill.</summary>
        public static SpecRule ClustersExceedMaxLength { get; } = new SpecRule(
            "XF0190",
            "Clusters is larger than MaxLength",
            "Clusters = {0} is larger than MaxLength = {1}: equal-size clusters would hold less than one token each; use Clusters = {2} or less (the paper uses about √MaxLength)");

        /// <summary>XF0191: a window longer than the sequence attends to nothing more and costs more.</summary>
        public static SpecRule WindowExceedsMaxLength { get; } = new SpecRule(
            "XF0191",
            "The window is larger than MaxLength",
            "{0} = {1} is larger than MaxLength = {2}; a window that long is full attention at more cost: use {0} = {2} or less, or leave it out");

        /// <summary>XF0192: a routing layer whose heads are all local routes nothing.</summary>
        public static SpecRule NoRoutingHeads { get; } = new SpecRule(
            "XF0192",
            "LocalHeads leaves no routing head",
            "LocalHeads = {0} of Heads = {1} leaves no head to route; use LocalHeads = {2} or less, or [SlidingWindowAttention] for a layer of local heads only");

        /// <summary>XF0193: the moving average needs a decay strictly between 0 and 1.</summary>
        public static SpecRule DecayOutOfRange { get; } = new SpecRule(
            "XF0193",
            "Decay is not in (0, 1)",
            "Decay = {0} is not strictly between 0 and 1: the centroids move as μ ← Decay · μ + (1 − Decay) · mean, so 1 never learns and 0 forgets every step; use a value near 1 such as 0.999");

        /// <summary>XF0194: a negative commitment weight pushes the routed vectors away from their centroids.</summary>
        public static SpecRule CommitmentWeightNegative { get; } = new SpecRule(
            "XF0194",
            "CommitmentWeight is negative or not finite",
            "CommitmentWeight = {0} must be a finite value of 0 or more: a negative weight pushes the routed vectors away from their centroids; use 0.0001 (the paper's), or 0 to train without the commitment loss");

        /// <summary>XF0195: a reversible stack recomputes each layer in the backward pass, which would run the k-means twice.</summary>
        public static SpecRule ReversibleModel { get; } = new SpecRule(
            "XF0195",
            "Routing attention in a reversible model",
            "[RoutingAttention] in a [Reversible] model: the backward pass recomputes every layer, so the centroids would move twice per step and the commitment loss, recorded in the forward pass that keeps no graph, would train nothing; remove [Reversible], or use [LshAttention] for content-based attention in a reversible model");

        /// <summary>The family's rules and its ID block.</summary>
        public static SpecRuleSet All { get; } = new SpecRuleSet("RoutingAttention",
            ImmutableEquatableArray.Create(new SpecIdBlock(190, 199)),
            ImmutableEquatableArray.Create(ClustersExceedMaxLength, WindowExceedsMaxLength, NoRoutingHeads, DecayOutOfRange, CommitmentWeightNegative, ReversibleModel));
    }
}
