namespace XformerDsl.Specs
{
    /// <summary>The rules of <see cref="LinearAttentionSpec"/>, XF0050 to XF0053; the generator reports them at the argument.</summary>
    public static class LinearAttentionRules
    {
        /// <summary>XF0050: a FAVOR+ or T2R feature count must be from 1 to 4,096.</summary>
        public static SpecRule FeaturesOutOfRange { get; } = new SpecRule(
            "XF0050",
            "Features out of range",
            "Features = {0} is outside the supported range 1 to {1} features per head; use a value in that range, for example Features = {2} (the head size), or leave Features out");

        /// <summary>XF0051: Elu and Relu map each head to its own dimensions; a feature count means nothing there.</summary>
        public static SpecRule FeaturesWithoutEffect { get; } = new SpecRule(
            "XF0051",
            "Features has no meaning for this feature map",
            "Features = {0} has no meaning for Kernel = FeatureMap.{1}, whose features are the head's {2} dimensions; remove Features, or use Kernel = FeatureMap.Favor or FeatureMap.LearnedRelu to choose a feature count");

        /// <summary>XF0052: only FAVOR+ draws random features, so only it has a seed and a redraw schedule.</summary>
        public static SpecRule NeedsRandomFeatures { get; } = new SpecRule(
            "XF0052",
            "Argument applies to random features only",
            "{0} = {1} applies to random features, but Kernel = FeatureMap.{2} draws none; remove {0}, or use Kernel = FeatureMap.Favor");

        /// <summary>XF0053: RedrawEvery counts training steps.</summary>
        public static SpecRule RedrawEveryNegative { get; } = new SpecRule(
            "XF0053",
            "RedrawEvery is negative",
            "RedrawEvery = {0} must not be negative; use a number of training steps such as RedrawEvery = 1000, or 0 to keep one draw");

        /// <summary>The family's rules and its ID block (XF0054 and XF0055 belong to [ConvertsFrom], part of the frame).</summary>
        public static SpecRuleSet All { get; } = new SpecRuleSet("LinearAttention",
            ImmutableEquatableArray.Create(new SpecIdBlock(50, 53)),
            ImmutableEquatableArray.Create(FeaturesOutOfRange, FeaturesWithoutEffect, NeedsRandomFeatures, RedrawEveryNegative));
    }
}
