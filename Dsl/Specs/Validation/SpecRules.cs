namespace XformerDsl.Specs
{
    /// <summary>
    /// Every rule a <see cref="ModelSpec"/> must satisfy: the catalog behind <see cref="SpecValidation"/> and behind the
    /// generator's diagnostics of the same IDs.
    /// </summary>
    public static class SpecRules
    {
        /// <summary>XF0008: at most one attention declaration may take the layers no other declaration names.</summary>
        public static SpecRule ConflictingAttention { get; } = new SpecRule(
            "XF0008",
            "Two attention declarations take the same layers",
            "Model '{0}' already declares [{1}] for every layer not named elsewhere, so [{2}] conflicts with it; keep one attention attribute without Layers or Every, and give the others Layers = new[] {{ ... }} or Every = n");

        /// <summary>XF0013: a size argument lies outside its supported range (see <see cref="SpecLimits"/>).</summary>
        public static SpecRule ValueOutOfRange { get; } = new SpecRule(
            "XF0013",
            "Size argument out of range",
            "{0} = {1} is outside the supported range {2} to {3}; use a value in that range, for example {0} = {4}");

        /// <summary>XF0014: Heads must divide Dim so every head gets Dim / Heads dimensions.</summary>
        public static SpecRule HeadsDoNotDivideDim { get; } = new SpecRule(
            "XF0014",
            "Heads does not divide Dim",
            "Heads = {0} does not divide Dim = {1}; use a divisor of {1} such as {2}");

        /// <summary>XF0015: Dropout is a probability of dropping, 0 ≤ p &lt; 1.</summary>
        public static SpecRule DropoutOutOfRange { get; } = new SpecRule(
            "XF0015",
            "Dropout is not a probability in [0, 1)",
            "Dropout = {0} is not a probability in [0, 1); use a value such as 0.1, or 0 to disable dropout");

        /// <summary>XF0016: the normalization ε must be positive and finite.</summary>
        public static SpecRule EpsilonNotPositive { get; } = new SpecRule(
            "XF0016",
            "Epsilon must be positive",
            "Epsilon = {0} must be positive and finite; use a small value such as 1e-05");

        /// <summary>XF0017: rotary embeddings rotate pairs of dimensions, so the head size must be even.</summary>
        public static SpecRule RotaryNeedsEvenHeadDim { get; } = new SpecRule(
            "XF0017",
            "Rotary positions need an even head size",
            "Kind = Rotary needs an even head size, but Dim / Heads = {0} / {1} = {2}; {3}");

        /// <summary>XF0018: the rotary base must exceed 1 or the frequencies do not decay.</summary>
        public static SpecRule RotaryBaseTooSmall { get; } = new SpecRule(
            "XF0018",
            "RotaryBase must be greater than 1",
            "RotaryBase = {0} must be a finite number greater than 1; use 10000, the RoFormer default");

        /// <summary>XF0019: an enum argument holds a number that names no member, e.g. <c>(Activation)42</c>.</summary>
        public static SpecRule UndefinedEnumValue { get; } = new SpecRule(
            "XF0019",
            "Undefined enum value",
            "{0} = {1} is not a defined {2}; use one of {3}");

        /// <summary>XF0021: a layer selector must name layers the model has.</summary>
        public static SpecRule LayerOutOfRange { get; } = new SpecRule(
            "XF0021",
            "Layers names no layer of the model",
            "Layers = {0} names {1}, but Depth = {2} has layers 0 to {3}; name layers from 0 to {3}, or remove Layers to take the layers no other attention names");

        /// <summary>XF0022: Every picks layers Every−1, 2·Every−1, …, so it must be from 1 to Depth.</summary>
        public static SpecRule EveryOutOfRange { get; } = new SpecRule(
            "XF0022",
            "Every names no layer of the model",
            "Every = {0} must be from 1 to Depth = {1} (it picks every {0}-th layer); use for example Every = {2}");

        /// <summary>XF0023: each layer has exactly one attention.</summary>
        public static SpecRule LayersOverlap { get; } = new SpecRule(
            "XF0023",
            "Two attention declarations claim the same layer",
            "[{0}] and [{1}] both claim {2}; give each layer exactly one attention");

        /// <summary>XF0024: every layer needs an attention.</summary>
        public static SpecRule LayersWithoutAttention { get; } = new SpecRule(
            "XF0024",
            "Some layers have no attention",
            "{0} of Depth = {1} {2} no attention; add an attention attribute without Layers or Every, which takes every layer not named elsewhere, or name {3} in Layers");

        /// <summary>XF0025: a declaration names its layers one way.</summary>
        public static SpecRule LayersAndEvery { get; } = new SpecRule(
            "XF0025",
            "Both Layers and Every",
            "[{0}] gives both Layers and Every; keep one of them");

        /// <summary>XF0026: the rotary table is shared by every layer, so every attention needs the same head size.</summary>
        public static SpecRule RotaryNeedsOneHeadSize { get; } = new SpecRule(
            "XF0026",
            "Rotary positions need one head size",
            "Kind = Rotary shares one rotation table across layers, so every attention needs the same head size, but [{0}] has {1} and [{2}] has {3}; give them the same Heads, or use Kind = Learned or Sinusoidal");

        /// <summary>XF0027: a declaration names each of its layers once.</summary>
        public static SpecRule LayerNamedTwice { get; } = new SpecRule(
            "XF0027",
            "Layers names a layer twice",
            "Layers = {0} names {1} more than once; name each layer once, e.g. Layers = {2}");

        /// <summary>XF0028: every attention declaration gets at least one layer.</summary>
        public static SpecRule AttentionWithoutLayers { get; } = new SpecRule(
            "XF0028",
            "An attention declaration gets no layer",
            "[{0}] takes the layers no other attention names, but the others name all {1} layers, so it would be ignored; remove it, or give the others fewer layers");

        /// <summary>XF0070: the feed-forward cuts a MaxLength sequence into Chunks pieces of equal length.</summary>
        public static SpecRule ChunksDoNotDivideMaxLength { get; } = new SpecRule(
            "XF0070",
            "Chunks does not divide MaxLength",
            "Chunks = {0} does not divide MaxLength = {1}, so the feed-forward pieces would not have one length; use a divisor of {1} such as {2}");

        /// <summary>XF0071: a reversible block is undone by subtracting each sublayer's output, so nothing may follow the sum.</summary>
        public static SpecRule ReversibleNeedsPreNorm { get; } = new SpecRule(
            "XF0071",
            "Reversible layers need pre-norm",
            "[Reversible] reconstructs each block's inputs by subtracting its sublayers' outputs, which a norm after the residual sum (Placement = Post) makes impossible; use Placement = NormPlacement.Pre, or remove [Reversible]");

        /// <summary>XF0080: a classification or masked-LM head reads the whole sequence at every position.</summary>
        public static SpecRule HeadNeedsBidirectional { get; } = new SpecRule(
            "XF0080",
            "Encoder heads need a bidirectional model",
            "[{0}] is a head for an encoder, whose every position sees the whole sequence, but the [Transformer] is causal (Causal = true is the default); declare Causal = false on [Transformer], or remove [{0}] to keep a language model");

        /// <summary>XF0082: the mask token is a token id of the vocabulary.</summary>
        public static SpecRule MaskTokenOutsideVocab { get; } = new SpecRule(
            "XF0082",
            "MaskToken is not a token id",
            "MaskToken = {0} is not a token id of Vocab = {1}; use an id from 0 to {2}, best one the data never holds (declare Vocab one larger than the data needs and MaskToken = Vocab - 1, e.g. Vocab = 257 and MaskToken = 256 for bytes)");

        /// <summary>XF0083: the decoder of an encoder–decoder generates the target left to right.</summary>
        public static SpecRule EncoderNeedsCausalDecoder { get; } = new SpecRule(
            "XF0083",
            "An encoder-decoder's decoder must be causal",
            "With [Encoder], the [Transformer] declares the decoder, which generates the target left to right and so must be causal, but it says Causal = false; remove Causal = false (the encoder is always bidirectional)");

        /// <summary>XF0084: Stack chooses between the stacks of an encoder–decoder.</summary>
        public static SpecRule StackWithoutEncoder { get; } = new SpecRule(
            "XF0084",
            "Stack needs an encoder-decoder",
            "[{0}] gives Stack = {1}, but model '{2}' has one stack (it declares no [Encoder]); remove Stack, or add [Encoder(Depth = ...)] to make the model an encoder-decoder");

        /// <summary>XF0085: an encoder–decoder's output is the decoder's next-token logits.</summary>
        public static SpecRule HeadOnEncoderDecoder { get; } = new SpecRule(
            "XF0085",
            "Encoder heads do not apply to an encoder-decoder",
            "[{0}] is a head for an encoder alone, but model '{1}' is an encoder-decoder, whose output is the decoder's next-token logits; remove [{0}], or remove [Encoder] to make the model an encoder with this head");

        /// <summary>XF0086: one embedding table serves one vocabulary.</summary>
        public static SpecRule SharedEmbeddingsNeedOneVocab { get; } = new SpecRule(
            "XF0086",
            "Shared embeddings need one vocabulary",
            "SharedEmbeddings = true uses one token embedding for source and target, but the source has Vocab = {0} and the target Vocab = {1}; give [Encoder] no Vocab (or Vocab = {1}), or remove SharedEmbeddings");

        /// <summary>XF0087: reversible blocks of two sublayers; a decoder block has three.</summary>
        public static SpecRule EncoderDecoderNotReversible { get; } = new SpecRule(
            "XF0087",
            "Reversible layers do not support encoder-decoders",
            "[Reversible] pairs each block's two sublayers, but a decoder block of an encoder-decoder has three (self-attention, cross-attention, feed-forward); remove [Reversible]");

        /// <summary>XF0088: each stack of an encoder–decoder needs attention.</summary>
        public static SpecRule StackWithoutAttention { get; } = new SpecRule(
            "XF0088",
            "A stack has no attention",
            "The {0} of '{1}' has no attention: every attention attribute gives Stack = ModelStack.{2}; add one for the {0} (Stack = ModelStack.{3}), or remove Stack from one to let it serve both stacks");

        /// <summary>XF0089: the model costs more Mult-Adds per sentence than its declared budget.</summary>
        public static SpecRule OverBudget { get; } = new SpecRule(
            "XF0089",
            "The model is over its Mult-Adds budget",
            "Model '{0}' costs {1} Mult-Adds per sentence of {2} tokens, {3} over MultAddsBudget = {4}; the {5} costs most ({6}, {7} of the total); make it smaller (Dim, Depth, Hidden, AttentionWidth or kernel sizes), or raise MultAddsBudget");

        /// <summary>The frame's rules (Transformer, layer selection, FeedForward, Positions, Normalization, Reversible, heads, Encoder) and their ID blocks.</summary>
        public static SpecRuleSet All { get; } = new SpecRuleSet("the model's frame",
            ImmutableEquatableArray.Create(new SpecIdBlock(1, 29), new SpecIdBlock(54, 55), new SpecIdBlock(70, 71), new SpecIdBlock(80, 89)),
            ImmutableEquatableArray.Create(
                ConflictingAttention, ValueOutOfRange, HeadsDoNotDivideDim, DropoutOutOfRange, EpsilonNotPositive,
                RotaryNeedsEvenHeadDim, RotaryBaseTooSmall, UndefinedEnumValue, LayerOutOfRange, EveryOutOfRange, LayersOverlap,
                LayersWithoutAttention, LayersAndEvery, RotaryNeedsOneHeadSize, LayerNamedTwice, AttentionWithoutLayers, ChunksDoNotDivideMaxLength, ReversibleNeedsPreNorm,
                HeadNeedsBidirectional, MaskTokenOutsideVocab, EncoderNeedsCausalDecoder, StackWithoutEncoder, HeadOnEncoderDecoder,
                SharedEmbeddingsNeedOneVocab, EncoderDecoderNotReversible, StackWithoutAttention, OverBudget));
    }
}
