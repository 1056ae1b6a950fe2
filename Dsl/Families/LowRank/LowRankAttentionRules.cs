namespace XformerDsl.Specs
{
    /// <summary>
    /// The rules of <see cref="LowRankAttentionSpec"/> (XF0100–XF0109) and the supported range of its projected length,
    /// shared by the generator's diagnostics and run-time validation.
    /// </summary>
    public static class LowRankAttentionRules
    {
        /// <summary><see cref="LowRankAttentionAttribute.ProjectedLength"/>: 1 to 2^20, like MaxLength.</summary>
        public static SizeLimit ProjectedLength { get; } = new SizeLimit("LowRankAttention", "ProjectedLength", 1, 1 << 20, 256);

        /// <summary>XF0100: projecting along the length mixes every position, later ones included, into each compressed row.</summary>
        public static SpecRule CausalModel { get; } = new SpecRule(
            "XF0100",
            "Low-rank attention cannot be causal",
            "[LowRankAttention] in a causal model: E and F project keys and values along the length, so each of the {0} compressed rows mixes every position, later ones included, and no query could be kept from its future; use it in a bidirectional model (Causal = false on [Transformer]) or in the encoder of an encoder-decoder (Stack = ModelStack.Encoder), or use [FullAttention] or [LinearAttention] in a decoder");

        /// <summary>XF0101: more projected rows than positions only adds cost.</summary>
        public static SpecRule ProjectedLengthExceedsMaxLength { get; } = new SpecRule(
            "XF0101",
            "ProjectedLength is larger than MaxLength",
            "ProjectedLength = {0} is larger than MaxLength = {1}: E and F would project at most {1} positions to {0} rows, which costs more than attending to the positions themselves; use ProjectedLength = {1} or less");

        /// <summary>XF0102: the model owns one layerwise projection, so every declaration that shares it must agree on its shape.</summary>
        public static SpecRule LayerwiseProjectedLengthsDiffer { get; } = new SpecRule(
            "XF0102",
            "Layerwise sharing with different projected lengths",
            "ProjectedLength = {0} with Sharing = LowRankSharing.Layerwise, but an earlier [LowRankAttention] of this stack shares the model's one projection with ProjectedLength = {1}: every layer uses the same [{1}, MaxLength] matrix; declare ProjectedLength = {1}, or Sharing = LowRankSharing.Headwise or KeyValue to give these layers projections of their own");

        /// <summary>The family's rules and its ID block.</summary>
        public static SpecRuleSet All { get; } = new SpecRuleSet("LowRankAttention",
            ImmutableEquatableArray.Create(new SpecIdBlock(100, 109)),
            ImmutableEquatableArray.Create(CausalModel, ProjectedLengthExceedsMaxLength, LayerwiseProjectedLengthsDiffer));
    }
}
