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
}
