using System;
using System.Globalization;
using System.Linq;

namespace XformerDsl.Specs
{
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
}
