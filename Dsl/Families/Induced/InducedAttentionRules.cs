namespace XformerDsl.Specs
{
    /// <summary>
    /// The rules of <see cref="InducedAttentionSpec"/> and of attention pooling (<see cref="Pooling.Attention"/>)
    /// (XF0130–XF0139), and the supported range of the inducing points, shared by the generator's diagnostics and
    /// run-time validation.
    /// </summary>
    public static class InducedAttentionRules
    {
        /// <summary><see cref="InducedAttentionAttribute.Points"/>: 1 to 2^20, like MaxLength.</summary>
        public static SizeLimit Points { get; } = new SizeLimit("InducedAttention", "Points", 1, 1 << 20, InducedAttentionSpec.DefaultPoints);

        /// <summary>XF0130: every inducing point summarises every position, later ones included.</summary>
        public static SpecRule CausalModel { get; } = new SpecRule(
            "XF0130",
            "Inducing-point attention cannot be causal",
            "[InducedAttention] in a causal model: each of the {0} inducing points summarises every position, later ones included, and every token reads those summaries, so no token could be kept from its future; use it in a bidirectional model (Causal = false on [Transformer]) or in the encoder of an encoder-decoder (Stack = ModelStack.Encoder), or use [FullAttention] or [LinearAttention] in a decoder");

        /// <summary>XF0131: more inducing points than positions costs more than attending to the positions themselves.</summary>
        public static SpecRule PointsExceedMaxLength { get; } = new SpecRule(
            "XF0131",
            "Points is larger than MaxLength",
            "Points = {0} is larger than MaxLength = {1}: {0} inducing points would summarise at most {1} positions, which costs more than attending to the positions themselves; use Points = {1} or less (the paper uses 16 to 32)");

        /// <summary>XF0132: the inducing points and their summaries have no position to rotate by.</summary>
        public static SpecRule RotaryPositions { get; } = new SpecRule(
            "XF0132",
            "Inducing-point attention does not take rotary positions",
            "[InducedAttention] with rotary positions: each attention pairs tokens with inducing points or their summaries, which have no position, so rotating by position would carry no relative position; declare [Positions(Kind = PositionEncoding.Learned)], Sinusoidal, or None (a set model), or use another attention family");

        /// <summary>XF0133: attention pooling splits Dim into the last layer's heads.</summary>
        public static SpecRule PoolingHeadsDoNotDivideDim { get; } = new SpecRule(
            "XF0133",
            "Attention pooling's heads do not divide Dim",
            "Pooling = Pooling.Attention uses the last layer's Heads = {0}, which does not divide Dim = {1} (its attention is narrower than the model); use Pooling.Mean or Pooling.First, or give the last layer a declaration whose Heads divides {1}");

        /// <summary>The family's rules and its ID block.</summary>
        public static SpecRuleSet All { get; } = new SpecRuleSet("InducedAttention",
            ImmutableEquatableArray.Create(new SpecIdBlock(130, 139)),
            ImmutableEquatableArray.Create(CausalModel, PointsExceedMaxLength, RotaryPositions, PoolingHeadsDoNotDivideDim));

        /// <summary>
        /// XF0133 for a <c>[ClassificationHead]</c> with <see cref="Pooling.Attention"/> whose heads (the last layer's)
        /// do not divide Dim; nothing otherwise.
        /// </summary>
        public static System.Collections.Generic.IEnumerable<SpecProblem> PoolingProblems(ModelSpec model)
        {
            if (model.Head is not ClassificationHeadSpec { Pooling: Pooling.Attention } classification || !SpecLimits.Depth.Contains(model.Depth))
                yield break;
            int heads = PoolingByAttentionCount.Heads(model);
            if (heads > 0 && model.Dim > 0 && model.Dim % heads != 0)
                yield return new SpecProblem(PoolingHeadsDoNotDivideDim, classification.AttributeName, "Pooling",
                    ImmutableEquatableArray.Create(SpecFormat.Int(heads), SpecFormat.Int(model.Dim)));
        }
    }
}
