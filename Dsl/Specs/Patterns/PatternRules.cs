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

        /// <summary>More random blocks than a query block can draw from.</summary>
        public const string TooManyRandomBlocks = "XF0034";

        /// <summary>The axial grid does not have MaxLength cells.</summary>
        public const string AxialGridMismatch = "XF0035";

        /// <summary>Axial attention with an odd number of heads.</summary>
        public const string AxialHeadsOdd = "XF0036";

        /// <summary>A per-head dilation list whose length is not the number of heads.</summary>
        public const string DilationsPerHead = "XF0037";

        /// <summary>Both one dilation for every head and a per-head list.</summary>
        public const string DilationAndDilations = "XF0038";
    }

    /// <summary>The rules of the pattern families, shared by the generator's diagnostics and run-time validation.</summary>
    public static class PatternRules
    {
        /// <summary>XF0030: blocks are whole, so MaxLength is a multiple of Block.</summary>
        public static SpecRule BlockDoesNotDivideMaxLength { get; } = new SpecRule(
            PatternRuleIds.BlockDoesNotDivideMaxLength,
            "MaxLength is not a multiple of the block size",
            "{0} = {1} does not divide MaxLength = {2}, so the last block would be cut short; use a {0} that divides {2}, such as {3}, or make MaxLength a multiple of {1}, such as {4}");

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
            "{0} = {1} makes every one of the MaxLength = {3} positions global ({2}), which is full attention; use fewer, such as {0} = {4}, or [FullAttention]");

        /// <summary>XF0034: random blocks are drawn without repeats among the blocks outside the window and the globals.</summary>
        public static SpecRule TooManyRandomBlocks { get; } = new SpecRule(
            PatternRuleIds.TooManyRandomBlocks,
            "More random blocks than exist",
            "RandomBlocks = {0} asks for more random blocks than exist: of the {1} blocks, {2} are global and the last query block's window takes {3}, leaving {4} to draw from; use RandomBlocks = {4} or fewer, or a smaller Block");

        /// <summary>XF0035: the grid is the sequence, so Rows · Columns = MaxLength.</summary>
        public static SpecRule AxialGridMismatch { get; } = new SpecRule(
            PatternRuleIds.AxialGridMismatch,
            "The axial grid is not MaxLength",
            "Rows = {0} × Columns = {1} = {2} cells, but the grid must hold the MaxLength = {3} positions; use {4}, so that Rows · Columns = MaxLength");

        /// <summary>XF0036: half the heads per axis.</summary>
        public static SpecRule AxialHeadsOdd { get; } = new SpecRule(
            PatternRuleIds.AxialHeadsOdd,
            "Axial attention needs an even number of heads",
            "Heads = {0} cannot be split evenly between rows and columns (half the heads attend along each axis); use an even number of heads that divides Dim, such as Heads = {1}");

        /// <summary>XF0037: one dilation per head.</summary>
        public static SpecRule DilationsPerHead { get; } = new SpecRule(
            PatternRuleIds.DilationsPerHead,
            "Dilations needs one entry per head",
            "Dilations has {0} entries but there are Heads = {1}; give exactly {1} dilations, one per head in head order, or use Dilation for one dilation shared by every head");

        /// <summary>XF0038: Dilation and Dilations are alternatives.</summary>
        public static SpecRule DilationAndDilations { get; } = new SpecRule(
            PatternRuleIds.DilationAndDilations,
            "Dilation and Dilations are both set",
            "Dilation = {0} and a per-head Dilations list are both set, so it is unclear which applies; remove Dilation (the list gives every head its own), or remove Dilations to share Dilation = {0} across heads");
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

        /// <summary><see cref="SparseAttentionAttribute.Stride"/>: 1 to 2^20.</summary>
        public static SizeLimit Stride { get; } = new SizeLimit("SparseAttention", "Stride", 1, 1 << 20, 128);

        /// <summary><see cref="SparseAttentionAttribute.Summary"/>: 1 to Stride.</summary>
        public static SizeLimit Summary { get; } = new SizeLimit("SparseAttention", "Summary", 1, 1 << 20, 8);

        /// <summary>The largest divisor of <paramref name="length"/> not above <paramref name="limit"/>.</summary>
        internal static int LargestDivisorAtMost(int length, int limit)
        {
            for (int divisor = System.Math.Min(limit, length); divisor > 1; divisor--)
                if (length % divisor == 0)
                    return divisor;
            return 1;
        }

        /// <summary><see cref="BigBirdAttentionAttribute.WindowBlocks"/>: 1 to 2^20.</summary>
        public static SizeLimit WindowBlocks { get; } = new SizeLimit("BigBirdAttention", "WindowBlocks", 1, 1 << 20, 3);

        /// <summary><see cref="BigBirdAttentionAttribute.GlobalBlocks"/>: 0 to 2^20.</summary>
        public static SizeLimit GlobalBlocks { get; } = new SizeLimit("BigBirdAttention", "GlobalBlocks", 0, 1 << 20, 2);

        /// <summary><see cref="BigBirdAttentionAttribute.RandomBlocks"/>: 0 to 2^20.</summary>
        public static SizeLimit RandomBlocks { get; } = new SizeLimit("BigBirdAttention", "RandomBlocks", 0, 1 << 20, 3);

        /// <summary><see cref="AxialAttentionAttribute.Rows"/>: 1 to 2^20.</summary>
        public static SizeLimit Rows { get; } = new SizeLimit("AxialAttention", "Rows", 1, 1 << 20, 64);

        /// <summary><see cref="AxialAttentionAttribute.Columns"/>: 1 to 2^20.</summary>
        public static SizeLimit Columns { get; } = new SizeLimit("AxialAttention", "Columns", 1, 1 << 20, 64);

        /// <summary>XF0013 for <paramref name="value"/> outside <paramref name="limit"/>, at declaration <paramref name="index"/>; else null.</summary>
        internal static SpecProblem? Check(SizeLimit limit, int value, int index) =>
            limit.Contains(value)
                ? null
                : new SpecProblem(SpecRules.ValueOutOfRange, limit.Attribute, limit.Argument,
                    ImmutableEquatableArray.Create(limit.Argument, SpecFormat.Int(value), SpecFormat.Int(limit.Min), SpecFormat.Int(limit.Max), SpecFormat.Int(limit.Example)),
                    index);
    }
}
