namespace XformerDsl.Specs
{
    /// <summary>The rules of <see cref="LinearAttentionSpec"/>, XF0050 to XF0053; the generator reports them at the argument.</summary>
    public static class LinearAttentionRules
    {
        /// <summary>XF0050: Features is not from 1 to <see cref="LinearAttentionSpec.MaxFeatures"/>.</summary>
        public const string FeaturesOutOfRangeId = "XF0050";

        /// <summary>XF0051: Features with a feature map that keeps the head size.</summary>
        public const string FeaturesWithoutEffectId = "XF0051";

        /// <summary>XF0052: RedrawEvery or Seed with a feature map that draws no random features.</summary>
        public const string NeedsRandomFeaturesId = "XF0052";

        /// <summary>XF0053: RedrawEvery is negative.</summary>
        public const string RedrawEveryNegativeId = "XF0053";

        /// <summary>XF0050: a FAVOR+ or T2R feature count must be from 1 to 4,096.</summary>
        public static SpecRule FeaturesOutOfRange { get; } = new SpecRule(
            FeaturesOutOfRangeId,
            "Features out of range",
            "Features = {0} is outside the supported range 1 to {1} features per head; use a value in that range, for example Features = {2} (the head size), or leave Features out");

        /// <summary>XF0051: Elu and Relu map each head to its own dimensions; a feature count means nothing there.</summary>
        public static SpecRule FeaturesWithoutEffect { get; } = new SpecRule(
            FeaturesWithoutEffectId,
            "Features has no meaning for this feature map",
            "Features = {0} has no meaning for Kernel = FeatureMap.{1}, whose features are the head's {2} dimensions; remove Features, or use Kernel = FeatureMap.Favor or FeatureMap.LearnedRelu to choose a feature count");

        /// <summary>XF0052: only FAVOR+ draws random features, so only it has a seed and a redraw schedule.</summary>
        public static SpecRule NeedsRandomFeatures { get; } = new SpecRule(
            NeedsRandomFeaturesId,
            "Argument applies to random features only",
            "{0} = {1} applies to random features, but Kernel = FeatureMap.{2} draws none; remove {0}, or use Kernel = FeatureMap.Favor");

        /// <summary>XF0053: RedrawEvery counts training steps.</summary>
        public static SpecRule RedrawEveryNegative { get; } = new SpecRule(
            RedrawEveryNegativeId,
            "RedrawEvery is negative",
            "RedrawEvery = {0} must not be negative; use a number of training steps such as RedrawEvery = 1000, or 0 to keep one draw");
    }
}
