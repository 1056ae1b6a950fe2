namespace XformerDsl.Specs
{
    /// <summary>The stable IDs of the rules of the pattern families (local, sliding window).</summary>
    public static class PatternRuleIds
    {
        /// <summary>MaxLength is not a multiple of the block size.</summary>
        public const string BlockDoesNotDivideMaxLength = "XF0030";

        /// <summary>A window, a dilated window or a number of blocks reaches beyond MaxLength.</summary>
        public const string PatternExceedsSequence = "XF0031";

        /// <summary>A pattern names positions after the query in a causal model.</summary>
        public const string FutureInCausalModel = "XF0032";

        /// <summary>Every position is global.</summary>
        public const string GlobalTokensCoverSequence = "XF0033";
    }

    /// <summary>The rules of the pattern families, shared by the generator's diagnostics and run-time validation.</summary>
    public static class PatternRules
    {
        /// <summary>XF0030: blocks are whole, so MaxLength is a multiple of Block.</summary>
        public static SpecRule BlockDoesNotDivideMaxLength { get; } = new SpecRule(
            PatternRuleIds.BlockDoesNotDivideMaxLength,
            "MaxLength is not a multiple of the block size",
            "Block = {0} does not divide MaxLength = {1}, so the last block would be cut short; use a Block that divides {1}, such as {2}, or make MaxLength a multiple of {0}, such as {3}");

        /// <summary>XF0031: a pattern wider than the sequence is full attention at a higher price.</summary>
        public static SpecRule PatternExceedsSequence { get; } = new SpecRule(
            PatternRuleIds.PatternExceedsSequence,
            "The pattern reaches beyond MaxLength",
            "{0} = {1} makes each query's pattern span {2}, more than MaxLength = {3}; use {0} = {4} or less, or [FullAttention] if every query should see the whole sequence");

        /// <summary>XF0032: a causal model hides every later position.</summary>
        public static SpecRule FutureInCausalModel { get; } = new SpecRule(
            PatternRuleIds.FutureInCausalModel,
            "The pattern looks into the future of a causal model",
            "{0} = {1} names {2} after the query's own, which a causal model hides (they are its future); remove {0}, or set Causal = false on [Transformer]");

        /// <summary>XF0033: with every position global the pattern is full attention.</summary>
        public static SpecRule GlobalTokensCoverSequence { get; } = new SpecRule(
            PatternRuleIds.GlobalTokensCoverSequence,
            "Every position is global",
            "GlobalTokens = {0} makes every one of the MaxLength = {1} positions global, which is full attention; use fewer global tokens, such as GlobalTokens = {2}, or [FullAttention]");
    }

    /// <summary>The supported ranges of the pattern families' integer arguments.</summary>
    public static class PatternLimits
    {
        /// <summary><see cref="LocalAttentionAttribute.Block"/>: 1 to 2^20.</summary>
        public static SizeLimit Block { get; } = new SizeLimit("LocalAttention", "Block", 1, 1 << 20, 64);

        /// <summary><see cref="LocalAttentionAttribute.Before"/>: 0 to 2^20.</summary>
        public static SizeLimit Before { get; } = new SizeLimit("LocalAttention", "Before", 0, 1 << 20, 1);

        /// <summary><see cref="LocalAttentionAttribute.After"/>: 0 to 2^20.</summary>
        public static SizeLimit After { get; } = new SizeLimit("LocalAttention", "After", 0, 1 << 20, 0);

        /// <summary><see cref="SlidingWindowAttentionAttribute.Window"/>: 1 to 2^20.</summary>
        public static SizeLimit Window { get; } = new SizeLimit("SlidingWindowAttention", "Window", 1, 1 << 20, 256);

        /// <summary><see cref="SlidingWindowAttentionAttribute.Dilation"/>: 1 to 2^20.</summary>
        public static SizeLimit Dilation { get; } = new SizeLimit("SlidingWindowAttention", "Dilation", 1, 1 << 20, 1);

        /// <summary><see cref="SlidingWindowAttentionAttribute.GlobalTokens"/>: 0 to 2^20.</summary>
        public static SizeLimit GlobalTokens { get; } = new SizeLimit("SlidingWindowAttention", "GlobalTokens", 0, 1 << 20, 0);

        /// <summary>XF0013 for <paramref name="value"/> outside <paramref name="limit"/>, at declaration <paramref name="index"/>; else null.</summary>
        internal static SpecProblem? Check(SizeLimit limit, int value, int index) =>
            limit.Contains(value)
                ? null
                : new SpecProblem(SpecRules.ValueOutOfRange, limit.Attribute, limit.Argument,
                    ImmutableEquatableArray.Create(limit.Argument, SpecFormat.Int(value), SpecFormat.Int(limit.Min), SpecFormat.Int(limit.Max), SpecFormat.Int(limit.Example)),
                    index);
    }
}
