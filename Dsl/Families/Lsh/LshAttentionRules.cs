namespace XformerDsl.Specs
{
    /// <summary>
    /// The rules of <see cref="LshAttentionSpec"/> (XF0072–XF0079) and the supported ranges of its arguments, shared by
    /// the generator's diagnostics and run-time validation.
    /// </summary>
    public static class LshAttentionRules
    {
        /// <summary><see cref="LshAttentionAttribute.BucketSize"/>: 1 to 2^16.</summary>
        public static SizeLimit BucketSize { get; } = new SizeLimit("LshAttention", "BucketSize", 1, 1 << 16, 64);

        /// <summary><see cref="LshAttentionAttribute.Rounds"/>: 1 to 64.</summary>
        public static SizeLimit Rounds { get; } = new SizeLimit("LshAttention", "Rounds", 1, 64, 2);

        /// <summary>XF0072: LSH attention cuts a MaxLength sequence into buckets of BucketSize positions.</summary>
        public static SpecRule MaxLengthNotMultipleOfBucketSize { get; } = new SpecRule(
            "XF0072",
            "MaxLength is not a multiple of BucketSize",
            "BucketSize = {0} does not divide MaxLength = {1}, so a full-length sequence cannot be cut into buckets of {0} positions; use BucketSize = {2}, or MaxLength = {3}");

        /// <summary>XF0073: angular LSH hashes to argmax over [xR; −xR], so the number of buckets is even.</summary>
        public static SpecRule OddNumberOfBuckets { get; } = new SpecRule(
            "XF0073",
            "LSH attention needs an even number of buckets",
            "MaxLength / BucketSize = {1} / {0} = {2} buckets, but hashing to argmax over [x·R; −x·R] makes an even number; use BucketSize = {3}, or MaxLength = {4}");

        /// <summary>The family's rules and its ID block.</summary>
        public static SpecRuleSet All { get; } = new SpecRuleSet("LshAttention",
            ImmutableEquatableArray.Create(new SpecIdBlock(72, 79)),
            ImmutableEquatableArray.Create(MaxLengthNotMultipleOfBucketSize, OddNumberOfBuckets));
    }
}
