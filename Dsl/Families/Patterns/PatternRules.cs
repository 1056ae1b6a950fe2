namespace XformerDsl.Specs
{
    /// <summary>The rules of the pattern families, shared by the generator's diagnostics and run-time validation.</summary>
    public static class PatternRules
    {
        /// <summary>XF0030: blocks are whole, so MaxLength is a multiple of Block.</summary>
        public static SpecRule BlockDoesNotDivideMaxLength { get; } = new SpecRule(
            "XF0030",
            "MaxLength is not a multiple of the block size",
            "{0} = {1} does not divide MaxLength = {2}, so the last block would be cut short; use a {0} that divides {2}, such as {3}, or make MaxLength a multiple of {1}, such as {4}");

        /// <summary>XF0031: a pattern wider than the sequence is full attention at a higher price.</summary>
        public static SpecRule PatternExceedsSequence { get; } = new SpecRule(
            "XF0031",
            "The pattern reaches beyond MaxLength",
            "{0} = {1} makes each query's pattern span {2}, more than MaxLength = {3}; use {0} = {4} or less, or [FullAttention] if every query should see the whole sequence");

        /// <summary>XF0032: a causal model hides every later position.</summary>
        public static SpecRule FutureInCausalModel { get; } = new SpecRule(
            "XF0032",
            "The pattern looks into the future of a causal model",
            "{0} = {1} names {2} after the query's own, which a causal model hides (they are its future); remove {0}, or set Causal = false on [Transformer]");

        /// <summary>XF0033: with every position global the pattern is full attention.</summary>
        public static SpecRule GlobalTokensCoverSequence { get; } = new SpecRule(
            "XF0033",
            "Every position is global",
            "{0} = {1} makes every one of the MaxLength = {3} positions global ({2}), which is full attention; use fewer, such as {0} = {4}, or [FullAttention]");

        /// <summary>XF0034: random blocks are drawn without repeats among the blocks outside the window and the globals.</summary>
        public static SpecRule TooManyRandomBlocks { get; } = new SpecRule(
            "XF0034",
            "More random blocks than exist",
            "RandomBlocks = {0} asks for more random blocks than exist: of the {1} blocks, {2} are global and the last query block's window takes {3}, leaving {4} to draw from; use RandomBlocks = {4} or fewer, or a smaller Block");

        /// <summary>XF0035: the grid is the sequence, so Rows · Columns = MaxLength.</summary>
        public static SpecRule AxialGridMismatch { get; } = new SpecRule(
            "XF0035",
            "The axial grid is not MaxLength",
            "Rows = {0} × Columns = {1} = {2} cells, but the grid must hold the MaxLength = {3} positions; use {4}, so that Rows · Columns = MaxLength");

        /// <summary>XF0036: half the heads per axis.</summary>
        public static SpecRule AxialHeadsOdd { get; } = new SpecRule(
            "XF0036",
            "Axial attention needs an even number of heads",
            "Heads = {0} cannot be split evenly between rows and columns (half the heads attend along each axis); use an even number of heads that divides Dim, such as Heads = {1}");

        /// <summary>XF0037: one dilation per head.</summary>
        public static SpecRule DilationsPerHead { get; } = new SpecRule(
            "XF0037",
            "Dilations needs one entry per head",
            "Dilations has {0} entries but there are Heads = {1}; give exactly {1} dilations, one per head in head order, or use Dilation for one dilation shared by every head");

        /// <summary>XF0038: Dilation and Dilations are alternatives.</summary>
        public static SpecRule DilationAndDilations { get; } = new SpecRule(
            "XF0038",
            "Dilation and Dilations are both set",
            "Dilation = {0} and a per-head Dilations list are both set, so it is unclear which applies; remove Dilation (the list gives every head its own), or remove Dilations to share Dilation = {0} across heads");

        /// <summary>
        /// The rules of every pattern family (local, sliding window, sparse, BigBird, axial) and their ID block; XF0039,
        /// a block layout too large to generate, is in it too, checked by the generator alone.
        /// </summary>
        public static SpecRuleSet All { get; } = new SpecRuleSet("the pattern families",
            ImmutableEquatableArray.Create(new SpecIdBlock(30, 49)),
            ImmutableEquatableArray.Create(
                BlockDoesNotDivideMaxLength, PatternExceedsSequence, FutureInCausalModel, GlobalTokensCoverSequence, TooManyRandomBlocks,
                AxialGridMismatch, AxialHeadsOdd, DilationsPerHead, DilationAndDilations));
    }
}
