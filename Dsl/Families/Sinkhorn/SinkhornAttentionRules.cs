namespace XformerDsl.Specs
{
    /// <summary>
    /// The rules of <see cref="SinkhornAttentionSpec"/> (XF0200–XF0209) and the supported ranges of its arguments,
    /// shared by the generator's diagnostics and run-time validation.
    /// </summary>
    public static class SinkhornAttentionRules
    {
        /// <summary><see cref="SinkhornAttentionAttribute.Block"/>: 1 to 2^20, like MaxLength.</summary>
        public static SizeLimit Block { get; } = new SizeLimit("SinkhornAttention", "Block", 1, 1 << 20, SinkhornAttentionSpec.DefaultBlock);

        /// <summary><see cref="SinkhornAttentionAttribute.Iterations"/>: 1 to 100.</summary>
        public static SizeLimit Iterations { get; } = new SizeLimit("SinkhornAttention", "Iterations", 1, 100, SinkhornAttentionSpec.DefaultIterations);

        /// <summary><see cref="SinkhornAttentionAttribute.SortCut"/>: 0 to 2^20 (at most the blocks, XF0203).</summary>
        public static SizeLimit SortCut { get; } = new SizeLimit("SinkhornAttention", "SortCut", 0, 1 << 20, 2);

        /// <summary>XF0200: blocks are whole, so the blocks of a full-length sequence tile it exactly.</summary>
        public static SpecRule BlockDoesNotDivideMaxLength { get; } = new SpecRule(
            "XF0200",
            "Block does not divide MaxLength",
            "Block = {0} does not divide MaxLength = {1}: Sinkhorn attention sorts whole blocks; use Block = {2}, or MaxLength = {3}");

        /// <summary>XF0201: with a single block there is nothing to sort.</summary>
        public static SpecRule SingleBlock { get; } = new SpecRule(
            "XF0201",
            "Block leaves a single block",
            "Block = {0} leaves MaxLength = {1} a single block, so there is nothing to sort and the layer is full attention at greater cost; use Block = {2} or less, or [FullAttention]");

        /// <summary>XF0202: SortCut lets every query see blocks the sorting chose from the whole sequence.</summary>
        public static SpecRule SortCutInCausalModel { get; } = new SpecRule(
            "XF0202",
            "SortCut cannot be causal",
            "SortCut = {0} in a causal model: every query would attend to the first {0} sorted blocks, which the sorting chose from the whole sequence, later blocks included; use SortCut = 0 (each block attends to a sorted block of earlier blocks and to itself), or a bidirectional model (Causal = false on [Transformer]) or the encoder of an encoder-decoder (Stack = ModelStack.Encoder)");

        /// <summary>XF0203: SortCut keeps at most every block.</summary>
        public static SpecRule SortCutExceedsBlocks { get; } = new SpecRule(
            "XF0203",
            "SortCut keeps more blocks than there are",
            "SortCut = {0} keeps more sorted blocks than MaxLength / Block = {1} has; use SortCut = {1} or less");

        /// <summary>XF0204: the temperature divides the sorting logits.</summary>
        public static SpecRule TemperatureNotPositive { get; } = new SpecRule(
            "XF0204",
            "Temperature is not greater than 0",
            "Temperature = {0} divides the sorting logits, so it must be a finite number greater than 0; use the paper's Temperature = 0.75, lower for harder sorting");

        /// <summary>The family's rules and its ID block.</summary>
        public static SpecRuleSet All { get; } = new SpecRuleSet("SinkhornAttention",
            ImmutableEquatableArray.Create(new SpecIdBlock(200, 209)),
            ImmutableEquatableArray.Create(BlockDoesNotDivideMaxLength, SingleBlock, SortCutInCausalModel, SortCutExceedsBlocks, TemperatureNotPositive));
    }
}
