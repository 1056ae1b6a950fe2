namespace XformerDsl.Specs
{
    /// <summary>
    /// The stable IDs of the spec rules, as constants so the generator's descriptor table and its release-tracking
    /// file can name them. The IDs not listed here belong to declaration rules that only the generator checks (partial
    /// class, missing arguments, …).
    /// </summary>
    public static class SpecRuleIds
    {
        /// <summary>Two attention declarations both take the remaining layers.</summary>
        public const string ConflictingAttention = "XF0008";

        /// <summary>A size argument lies outside its supported range.</summary>
        public const string ValueOutOfRange = "XF0013";

        /// <summary>Heads does not divide Dim.</summary>
        public const string HeadsDoNotDivideDim = "XF0014";

        /// <summary>Dropout is not in [0, 1).</summary>
        public const string DropoutOutOfRange = "XF0015";

        /// <summary>Epsilon is not positive and finite.</summary>
        public const string EpsilonNotPositive = "XF0016";

        /// <summary>Rotary positions with an odd head size.</summary>
        public const string RotaryNeedsEvenHeadDim = "XF0017";

        /// <summary>RotaryBase is not greater than 1.</summary>
        public const string RotaryBaseTooSmall = "XF0018";

        /// <summary>An enum argument holds a value that is not a member of the enum.</summary>
        public const string UndefinedEnumValue = "XF0019";

        /// <summary>Layers names a layer the model does not have, or no layer at all.</summary>
        public const string LayerOutOfRange = "XF0021";

        /// <summary>Every is not from 1 to Depth.</summary>
        public const string EveryOutOfRange = "XF0022";

        /// <summary>Two attention declarations claim the same layer.</summary>
        public const string LayersOverlap = "XF0023";

        /// <summary>Some layers have no attention.</summary>
        public const string LayersWithoutAttention = "XF0024";

        /// <summary>An attention declaration gives both Layers and Every.</summary>
        public const string LayersAndEvery = "XF0025";

        /// <summary>Rotary positions with attention declarations of different head sizes.</summary>
        public const string RotaryNeedsOneHeadSize = "XF0026";

        /// <summary>FeedForward Chunks does not divide MaxLength.</summary>
        public const string ChunksDoNotDivideMaxLength = "XF0070";

        /// <summary>Reversible layers with post-norm.</summary>
        public const string ReversibleNeedsPreNorm = "XF0071";

        /// <summary>LSH attention: MaxLength is not a multiple of BucketSize.</summary>
        public const string MaxLengthNotMultipleOfBucketSize = "XF0072";

        /// <summary>LSH attention: MaxLength / BucketSize buckets is odd.</summary>
        public const string OddNumberOfBuckets = "XF0073";
    }

    /// <summary>
    /// Every rule a <see cref="ModelSpec"/> must satisfy: the catalog behind <see cref="SpecValidation"/> and behind the
    /// generator's diagnostics of the same IDs.
    /// </summary>
    public static class SpecRules
    {
        /// <summary>XF0008: at most one attention declaration may take the layers no other declaration names.</summary>
        public static SpecRule ConflictingAttention { get; } = new SpecRule(
            SpecRuleIds.ConflictingAttention,
            "Two attention declarations take the same layers",
            "Model '{0}' already declares [{1}] for every layer not named elsewhere, so [{2}] conflicts with it; keep one attention attribute without Layers or Every, and give the others Layers = new[] {{ ... }} or Every = n");

        /// <summary>XF0013: a size argument lies outside its supported range (see <see cref="SpecLimits"/>).</summary>
        public static SpecRule ValueOutOfRange { get; } = new SpecRule(
            SpecRuleIds.ValueOutOfRange,
            "Size argument out of range",
            "{0} = {1} is outside the supported range {2} to {3}; use a value in that range, for example {0} = {4}");

        /// <summary>XF0014: Heads must divide Dim so every head gets Dim / Heads dimensions.</summary>
        public static SpecRule HeadsDoNotDivideDim { get; } = new SpecRule(
            SpecRuleIds.HeadsDoNotDivideDim,
            "Heads does not divide Dim",
            "Heads = {0} does not divide Dim = {1}; use a divisor of {1} such as {2}");

        /// <summary>XF0015: Dropout is a probability of dropping, 0 ≤ p &lt; 1.</summary>
        public static SpecRule DropoutOutOfRange { get; } = new SpecRule(
            SpecRuleIds.DropoutOutOfRange,
            "Dropout is not a probability in [0, 1)",
            "Dropout = {0} is not a probability in [0, 1); use a value such as 0.1, or 0 to disable dropout");

        /// <summary>XF0016: the normalization ε must be positive and finite.</summary>
        public static SpecRule EpsilonNotPositive { get; } = new SpecRule(
            SpecRuleIds.EpsilonNotPositive,
            "Epsilon must be positive",
            "Epsilon = {0} must be positive and finite; use a small value such as 1e-05");

        /// <summary>XF0017: rotary embeddings rotate pairs of dimensions, so the head size must be even.</summary>
        public static SpecRule RotaryNeedsEvenHeadDim { get; } = new SpecRule(
            SpecRuleIds.RotaryNeedsEvenHeadDim,
            "Rotary positions need an even head size",
            "Kind = Rotary needs an even head size, but Dim / Heads = {0} / {1} = {2}; {3}");

        /// <summary>XF0018: the rotary base must exceed 1 or the frequencies do not decay.</summary>
        public static SpecRule RotaryBaseTooSmall { get; } = new SpecRule(
            SpecRuleIds.RotaryBaseTooSmall,
            "RotaryBase must be greater than 1",
            "RotaryBase = {0} must be a finite number greater than 1; use 10000, the RoFormer default");

        /// <summary>XF0019: an enum argument holds a number that names no member, e.g. <c>(Activation)42</c>.</summary>
        public static SpecRule UndefinedEnumValue { get; } = new SpecRule(
            SpecRuleIds.UndefinedEnumValue,
            "Undefined enum value",
            "{0} = {1} is not a defined {2}; use one of {3}");

        /// <summary>XF0021: a layer selector must name layers the model has.</summary>
        public static SpecRule LayerOutOfRange { get; } = new SpecRule(
            SpecRuleIds.LayerOutOfRange,
            "Layers names no layer of the model",
            "Layers = {0} names {1}, but Depth = {2} has layers 0 to {3}; name layers from 0 to {3}, or remove Layers to take the layers no other attention names");

        /// <summary>XF0022: Every picks layers Every−1, 2·Every−1, …, so it must be from 1 to Depth.</summary>
        public static SpecRule EveryOutOfRange { get; } = new SpecRule(
            SpecRuleIds.EveryOutOfRange,
            "Every names no layer of the model",
            "Every = {0} must be from 1 to Depth = {1} (it picks every {0}-th layer); use for example Every = {2}");

        /// <summary>XF0023: each layer has exactly one attention.</summary>
        public static SpecRule LayersOverlap { get; } = new SpecRule(
            SpecRuleIds.LayersOverlap,
            "Two attention declarations claim the same layer",
            "[{0}] and [{1}] both claim {2}; give each layer exactly one attention");

        /// <summary>XF0024: every layer needs an attention.</summary>
        public static SpecRule LayersWithoutAttention { get; } = new SpecRule(
            SpecRuleIds.LayersWithoutAttention,
            "Some layers have no attention",
            "{0} of Depth = {1} {2} no attention; add an attention attribute without Layers or Every, which takes every layer not named elsewhere, or name {3} in Layers");

        /// <summary>XF0025: a declaration names its layers one way.</summary>
        public static SpecRule LayersAndEvery { get; } = new SpecRule(
            SpecRuleIds.LayersAndEvery,
            "Both Layers and Every",
            "[{0}] gives both Layers and Every; keep one of them");

        /// <summary>XF0026: the rotary table is shared by every layer, so every attention needs the same head size.</summary>
        public static SpecRule RotaryNeedsOneHeadSize { get; } = new SpecRule(
            SpecRuleIds.RotaryNeedsOneHeadSize,
            "Rotary positions need one head size",
            "Kind = Rotary shares one rotation table across layers, so every attention needs the same head size, but [{0}] has {1} and [{2}] has {3}; give them the same Heads, or use Kind = Learned or Sinusoidal");

        /// <summary>XF0070: the feed-forward cuts a MaxLength sequence into Chunks pieces of equal length.</summary>
        public static SpecRule ChunksDoNotDivideMaxLength { get; } = new SpecRule(
            SpecRuleIds.ChunksDoNotDivideMaxLength,
            "Chunks does not divide MaxLength",
            "Chunks = {0} does not divide MaxLength = {1}, so the feed-forward pieces would not have one length; use a divisor of {1} such as {2}");

        /// <summary>XF0071: a reversible block is undone by subtracting each sublayer's output, so nothing may follow the sum.</summary>
        public static SpecRule ReversibleNeedsPreNorm { get; } = new SpecRule(
            SpecRuleIds.ReversibleNeedsPreNorm,
            "Reversible layers need pre-norm",
            "[Reversible] reconstructs each block's inputs by subtracting its sublayers' outputs, which a norm after the residual sum (Placement = Post) makes impossible; use Placement = NormPlacement.Pre, or remove [Reversible]");

        /// <summary>XF0072: LSH attention cuts a MaxLength sequence into buckets of BucketSize positions.</summary>
        public static SpecRule MaxLengthNotMultipleOfBucketSize { get; } = new SpecRule(
            SpecRuleIds.MaxLengthNotMultipleOfBucketSize,
            "MaxLength is not a multiple of BucketSize",
            "BucketSize = {0} does not divide MaxLength = {1}, so a full-length sequence cannot be cut into buckets of {0} positions; use BucketSize = {2}, or MaxLength = {3}");

        /// <summary>XF0073: angular LSH hashes to argmax over [xR; −xR], so the number of buckets is even.</summary>
        public static SpecRule OddNumberOfBuckets { get; } = new SpecRule(
            SpecRuleIds.OddNumberOfBuckets,
            "LSH attention needs an even number of buckets",
            "MaxLength / BucketSize = {1} / {0} = {2} buckets, but hashing to argmax over [x·R; −x·R] makes an even number; use BucketSize = {3}, or MaxLength = {4}");
    }

    /// <summary>
    /// The supported range of every size argument. The upper bounds are far beyond what trains on a CPU; they exist so
    /// that parameter and MAC counts stay exact in 64-bit integers and a typo such as <c>Dim = 2560000</c> is caught.
    /// </summary>
    public static class SpecLimits
    {
        /// <summary><see cref="TransformerAttribute.Vocab"/>: 1 to 2^24.</summary>
        public static SizeLimit Vocab { get; } = new SizeLimit("Transformer", "Vocab", 1, 1 << 24, 256);

        /// <summary><see cref="TransformerAttribute.Dim"/>: 1 to 2^16.</summary>
        public static SizeLimit Dim { get; } = new SizeLimit("Transformer", "Dim", 1, 1 << 16, 256);

        /// <summary><see cref="TransformerAttribute.Depth"/>: 1 to 1024.</summary>
        public static SizeLimit Depth { get; } = new SizeLimit("Transformer", "Depth", 1, 1 << 10, 4);

        /// <summary><see cref="TransformerAttribute.MaxLength"/>: 1 to 2^20.</summary>
        public static SizeLimit MaxLength { get; } = new SizeLimit("Transformer", "MaxLength", 1, 1 << 20, 1024);

        /// <summary>Heads of any attention family: 1 to 1024.</summary>
        public static SizeLimit Heads { get; } = new SizeLimit("Attention", "Heads", 1, 1 << 10, 4);

        /// <summary><see cref="FeedForwardAttribute.Hidden"/>: 1 to 2^20.</summary>
        public static SizeLimit Hidden { get; } = new SizeLimit("FeedForward", "Hidden", 1, 1 << 20, 1024);

        /// <summary><see cref="FeedForwardAttribute.Chunks"/>: 1 to 2^20 (and a divisor of MaxLength, XF0070).</summary>
        public static SizeLimit Chunks { get; } = new SizeLimit("FeedForward", "Chunks", 1, 1 << 20, 8);

        /// <summary><see cref="LshAttentionAttribute.BucketSize"/>: 1 to 2^16.</summary>
        public static SizeLimit BucketSize { get; } = new SizeLimit("LshAttention", "BucketSize", 1, 1 << 16, 64);

        /// <summary><see cref="LshAttentionAttribute.Rounds"/>: 1 to 64.</summary>
        public static SizeLimit Rounds { get; } = new SizeLimit("LshAttention", "Rounds", 1, 64, 2);
    }

    /// <summary>The supported range of one integer argument.</summary>
    /// <param name="Attribute">The attribute that declares the argument (<c>Attention</c> stands for any attention attribute).</param>
    /// <param name="Argument">The argument name.</param>
    /// <param name="Min">Smallest supported value.</param>
    /// <param name="Max">Largest supported value.</param>
    /// <param name="Example">A typical value, suggested in messages.</param>
    public sealed record SizeLimit(string Attribute, string Argument, int Min, int Max, int Example)
    {
        /// <summary>True when <paramref name="value"/> is within [Min, Max].</summary>
        public bool Contains(int value) => value >= Min && value <= Max;
    }
}
