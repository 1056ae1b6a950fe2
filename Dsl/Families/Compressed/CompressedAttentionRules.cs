namespace XformerDsl.Specs
{
    /// <summary>
    /// The rules of <see cref="CompressedAttentionSpec"/> (XF0120–XF0129) and the supported range of its ratio, shared by
    /// the generator's diagnostics and run-time validation.
    /// </summary>
    public static class CompressedAttentionRules
    {
        /// <summary><see cref="CompressedAttentionAttribute.Ratio"/>: 1 to 2^20, like MaxLength.</summary>
        public static SizeLimit Ratio { get; } = new SizeLimit("CompressedAttention", "Ratio", 1, 1 << 20, 3);

        /// <summary>XF0120: a slot longer than the longest sequence.</summary>
        public static SpecRule RatioExceedsMaxLength { get; } = new SpecRule(
            "XF0120",
            "Ratio is larger than MaxLength",
            "Ratio = {0} is larger than MaxLength = {1}: no sequence fills even one slot of {0} positions, so every key would be one partial slot; use Ratio = {1} or less (the paper uses 3)");

        /// <summary>XF0121: a mean over one position is that position, so nothing is compressed.</summary>
        public static SpecRule MeanPoolCompressesNothing { get; } = new SpecRule(
            "XF0121",
            "MeanPool with Ratio = 1 compresses nothing",
            "Compression = MemoryCompression.MeanPool with Ratio = 1: the mean of one position is that position, so this is full attention at full cost; use Ratio = 2 or more, or [FullAttention]");

        /// <summary>The family's rules and its ID block.</summary>
        public static SpecRuleSet All { get; } = new SpecRuleSet("CompressedAttention",
            ImmutableEquatableArray.Create(new SpecIdBlock(120, 129)),
            ImmutableEquatableArray.Create(RatioExceedsMaxLength, MeanPoolCompressesNothing));
    }
}
