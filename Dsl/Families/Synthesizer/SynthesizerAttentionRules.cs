namespace XformerDsl.Specs
{
    /// <summary>
    /// The rules of <see cref="SynthesizerAttentionSpec"/> (XF0110–XF0119), shared by the generator's diagnostics and
    /// run-time validation. XF0114, the warning that synthetic logits dominate the model's parameters, is the generator's
    /// alone (a warning does not make a spec invalid).
    /// </summary>
    public static class SynthesizerAttentionRules
    {
        /// <summary>XF0110: a factorized mode without its factor.</summary>
        public static SpecRule FactorRequired { get; } = new SpecRule(
            "XF0110",
            "A factorized synthesizer needs Factor",
            "Mode = {0} needs Factor, {1}; add Factor = {2}, or use Mode = SynthesizerMode.{3}");

        /// <summary>XF0111: a factor the mode cannot use.</summary>
        public static SpecRule FactorOutOfRange { get; } = new SpecRule(
            "XF0111",
            "Synthesizer Factor out of range",
            "Factor = {0} does not fit Mode = {1} with MaxLength = {2}: {3}; use Factor = {4}");

        /// <summary>XF0112: mixture weights with nothing to mix.</summary>
        public static SpecRule MixtureWithoutDotProduct { get; } = new SpecRule(
            "XF0112",
            "LearnedMixture needs DotProduct",
            "LearnedMixture = true weighs the synthetic logits against dot-product logits, but DotProduct is false, so there is only one term; set DotProduct = true, or remove LearnedMixture");

        /// <summary>XF0113: a factor in a mode that has none.</summary>
        public static SpecRule FactorWithoutFactorizedMode { get; } = new SpecRule(
            "XF0113",
            "Factor has no effect in this synthesizer mode",
            "Factor = {0} has no effect with Mode = {1}, which is not factorized; remove Factor, or use Mode = SynthesizerMode.Factorized{1}");

        /// <summary>The family's rules and its ID block.</summary>
        public static SpecRuleSet All { get; } = new SpecRuleSet("SynthesizerAttention",
            ImmutableEquatableArray.Create(new SpecIdBlock(110, 119)),
            ImmutableEquatableArray.Create(FactorRequired, FactorOutOfRange, MixtureWithoutDotProduct, FactorWithoutFactorizedMode));
    }
}
