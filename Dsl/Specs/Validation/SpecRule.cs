using System;
using System.Globalization;
using System.Linq;

namespace XformerDsl.Specs
{
    /// <summary>
    /// One rule a <see cref="ModelSpec"/> must satisfy. The generator turns each rule into a compile-time diagnostic
    /// with the same <see cref="Id"/>, title and message, reported at the offending attribute argument.
    /// </summary>
    /// <param name="Id">Stable diagnostic ID, <c>XF00NN</c>; its help page is <c>docs/diagnostics/{Id}.md</c>.</param>
    /// <param name="Title">A short name for the rule.</param>
    /// <param name="MessageFormat">A composite format whose arguments name the values; the message also says how to fix them.</param>
    public sealed record SpecRule(string Id, string Title, string MessageFormat);

    /// <summary>
    /// A broken <see cref="SpecRule"/>: which argument breaks it and the values that go into the message.
    /// </summary>
    /// <param name="Rule">The rule.</param>
    /// <param name="Attribute">The attribute (without <c>Attribute</c>) whose argument is at fault, e.g. <c>Transformer</c>.</param>
    /// <param name="Argument">The argument at fault, e.g. <c>Dim</c>; the generator reports the diagnostic at it.</param>
    /// <param name="MessageArguments">The values for <see cref="SpecRule.MessageFormat"/>, already formatted invariantly.</param>
    /// <param name="AttentionIndex">
    /// For a problem in an attention declaration, its index in <see cref="ModelSpec.Attention"/> (a model may declare
    /// the same attention attribute more than once); null otherwise.
    /// </param>
    public sealed record SpecProblem(SpecRule Rule, string Attribute, string Argument, ImmutableEquatableArray<string> MessageArguments, int? AttentionIndex = null)
    {
        /// <summary>The message: the rule's format filled with the values.</summary>
        public string Message => string.Format(CultureInfo.InvariantCulture, Rule.MessageFormat, MessageArguments.Cast<object>().ToArray());

        /// <summary>The ID and message, e.g. <c>XF0014: Heads = 3 does not divide Dim = 256; …</c>.</summary>
        public override string ToString() => Rule.Id + ": " + Message;
    }

    /// <summary>
    /// A range of diagnostic IDs, <c>XF{First:0000}</c> to <c>XF{Last:0000}</c>, reserved for one owner's rules, so
    /// families added side by side never take the same ID.
    /// </summary>
    /// <param name="First">The first number of the range, e.g. 72 for XF0072.</param>
    /// <param name="Last">The last number of the range, inclusive.</param>
    public sealed record SpecIdBlock(int First, int Last)
    {
        /// <summary>True when <paramref name="id"/> (<c>XF00NN</c>) lies in this block.</summary>
        public bool Contains(string id) =>
            id.Length == 6 && id.StartsWith("XF", StringComparison.Ordinal)
            && int.TryParse(id.Substring(2), NumberStyles.None, CultureInfo.InvariantCulture, out int number)
            && number >= First && number <= Last;

        /// <summary><c>XF0072–XF0079</c>.</summary>
        public override string ToString() =>
            "XF" + First.ToString("0000", CultureInfo.InvariantCulture) + "–XF" + Last.ToString("0000", CultureInfo.InvariantCulture);
    }

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
