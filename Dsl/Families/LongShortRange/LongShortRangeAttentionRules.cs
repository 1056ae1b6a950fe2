namespace XformerDsl.Specs
{
    /// <summary>
    /// The rules of <see cref="LongShortRangeAttentionSpec"/> (XF0090–XF0099) and the supported ranges of its arguments,
    /// shared by the generator's diagnostics and run-time validation.
    /// </summary>
    public static class LongShortRangeAttentionRules
    {
        /// <summary>One kernel size: 1 to 1,023.</summary>
        public static SizeLimit KernelSize { get; } = new SizeLimit("LongShortRangeAttention", "KernelSizes", 1, 1023, 31);

        /// <summary><see cref="LongShortRangeAttentionAttribute.KernelHeads"/>: 1 to 1,024.</summary>
        public static SizeLimit KernelHeads { get; } = new SizeLimit("LongShortRangeAttention", "KernelHeads", 1, 1 << 10, 4);

        /// <summary>XF0090: the attention branch keeps some channels and leaves some to the convolution.</summary>
        public static SpecRule WidthDoesNotSplit { get; } = new SpecRule(
            "XF0090",
            "The channels do not split into two branches",
            "{0}; the attention branch needs from 1 to Dim - 1 = {1} channels and the convolution the rest, so use AttentionWidth = {2}");

        /// <summary>XF0091: attention heads share the attention branch's channels.</summary>
        public static SpecRule HeadsDoNotDivideAttentionWidth { get; } = new SpecRule(
            "XF0091",
            "Heads does not divide the attention branch",
            "Heads = {0} does not divide the attention branch's AttentionWidth = {1} channels; use Heads = {2}, or another AttentionWidth");

        /// <summary>XF0092: kernel heads share the convolution branch's channels.</summary>
        public static SpecRule KernelHeadsDoNotDivide { get; } = new SpecRule(
            "XF0092",
            "KernelHeads does not divide the convolution branch",
            "KernelHeads = {0} does not divide the convolution branch's Dim - AttentionWidth = {1} channels; use KernelHeads = {2}");

        /// <summary>XF0093: one kernel size per layer, or one for all.</summary>
        public static SpecRule KernelSizesNotOnePerLayer { get; } = new SpecRule(
            "XF0093",
            "KernelSizes is not one size per layer",
            "KernelSizes = {0} has {1} entries, but the {2} has Depth = {3} layers; give one size per layer (layer 0 first), e.g. KernelSizes = {4}, or one size for every layer");

        /// <summary>XF0094: a centred window has a middle.</summary>
        public static SpecRule EvenKernelInEncoder { get; } = new SpecRule(
            "XF0094",
            "A centred convolution needs an odd kernel size",
            "KernelSizes gives layer {0} the even size {1}, but a bidirectional (encoder) convolution is centred on each position and an even window has no centre; use {2} or {3}");

        /// <summary>XF0095: DropConnect is a probability of dropping, 0 ≤ p &lt; 1.</summary>
        public static SpecRule DropConnectOutOfRange { get; } = new SpecRule(
            "XF0095",
            "DropConnect is not a probability in [0, 1)",
            "DropConnect = {0} is not a probability in [0, 1); use a value such as 0.1, or 0 to disable it");

        /// <summary>The family's rules and its ID block.</summary>
        public static SpecRuleSet All { get; } = new SpecRuleSet("LongShortRangeAttention",
            ImmutableEquatableArray.Create(new SpecIdBlock(90, 99)),
            ImmutableEquatableArray.Create(WidthDoesNotSplit, HeadsDoNotDivideAttentionWidth, KernelHeadsDoNotDivide, KernelSizesNotOnePerLayer,
                EvenKernelInEncoder, DropConnectOutOfRange));
    }
}
