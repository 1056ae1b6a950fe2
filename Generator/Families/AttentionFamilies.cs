using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary>
    /// The closed list of attention families the generator knows, one line per family in alphabetical order. The
    /// parser, the orphan check, the emitters, the descriptor table and the tests all go through it, so a new family
    /// is its own files (attribute, spec and rules in Dsl/Families, its family class here in Families) plus one line.
    /// </summary>
    internal static class AttentionFamilies
    {
        public static ImmutableArray<AttentionFamily> All { get; } = ImmutableArray.Create<AttentionFamily>(
            new AxialAttentionFamily(),
            new BigBirdAttentionFamily(),
            new CompressedAttentionFamily(),
            new FullAttentionFamily(),
            new InducedAttentionFamily(),
            new LinearAttentionFamily(),
            new LocalAttentionFamily(),
            new LongShortRangeAttentionFamily(),
            new LowRankAttentionFamily(),
            new LshAttentionFamily(),
            new RoutingAttentionFamily(),
            new SegmentRecurrenceFamily(),
            new SinkhornAttentionFamily(),
            new SlidingWindowAttentionFamily(),
            new SparseAttentionFamily(),
            new SynthesizerAttentionFamily());

        private static readonly Dictionary<string, AttentionFamily> s_byMetadataName = All.ToDictionary(family => family.MetadataName);
        private static readonly Dictionary<string, AttentionFamily> s_byAttributeName = All.ToDictionary(family => family.AttributeName);

        /// <summary>The family whose attribute has this metadata name, or null.</summary>
        public static AttentionFamily? ByMetadataName(string metadataName) =>
            s_byMetadataName.TryGetValue(metadataName, out var family) ? family : null;

        /// <summary>The family of a spec (every spec record belongs to exactly one entry, which a test checks).</summary>
        public static AttentionFamily Of(AttentionSpec spec) => s_byAttributeName[spec.AttributeName];

        /// <summary>The rule sets the families own, each once (the pattern families share theirs).</summary>
        public static IEnumerable<SpecRuleSet> RuleSets => All.Select(family => family.Rules).OfType<SpecRuleSet>().Distinct();
    }
}
