using System;
using System.Globalization;
using System.Linq;

namespace XformerDsl.Specs
{
    /// <summary>
    /// The rules one part of the DSL owns (the frame, or one attention family) with the ID blocks reserved for them.
    /// The generator derives its diagnostic descriptors from these sets; a test checks that every rule's ID lies in
    /// its owner's blocks and that no two owners' blocks overlap.
    /// </summary>
    /// <param name="Owner">Who owns the rules, for messages: <c>LshAttention</c>, <c>the model's frame</c>.</param>
    /// <param name="Blocks">The ID ranges reserved for the owner (rules and any diagnostics only the generator checks for it).</param>
    /// <param name="Rules">The rules, in ID order.</param>
    public sealed record SpecRuleSet(string Owner, ImmutableEquatableArray<SpecIdBlock> Blocks, ImmutableEquatableArray<SpecRule> Rules)
    {
        /// <summary>True when <paramref name="id"/> lies in one of <see cref="Blocks"/>.</summary>
        public bool Reserves(string id) => Blocks.Any(block => block.Contains(id));
    }
}
