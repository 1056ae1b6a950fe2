using Microsoft.CodeAnalysis;

namespace XformerDsl.Generator.Diagnostics
{
    /// <summary>
    /// Makes every descriptor the generator reports the same way: its help page under one base, its category. It holds
    /// no descriptors itself, so the tables that call it (<see cref="DiagnosticDescriptors"/>, a family's own) can be
    /// initialised in any order.
    /// </summary>
    /// <remarks>
    /// The help-link base, <c>HelpLinkBase</c>, is not written here: it is the MSBuild property
    /// <c>XformerDslDiagnosticsHelpBase</c>, by default <c>$(XformerDslRepositoryUrl)/blob/main/docs/diagnostics/</c>
    /// (Directory.Build.props), which the generator's project compiles in as a constant. The pages are the repository's
    /// <c>docs/diagnostics/XF*.md</c>; the XformerDsl package carries the same pages under <c>docs/diagnostics/</c>.
    /// </remarks>
    internal static partial class DescriptorFactory
    {

        /// <summary>The category of diagnostics about the class and its attributes as written.</summary>
        internal const string Declaration = "XformerDsl.Declaration";

        /// <summary>The category of diagnostics about the architecture the attributes describe.</summary>
        internal const string Specification = "XformerDsl.Specification";

        /// <summary>A descriptor with its help page under <see cref="HelpLinkBase"/>; an error unless said otherwise.</summary>
        public static DiagnosticDescriptor Create(string id, string title, string messageFormat, string category,
            DiagnosticSeverity severity = DiagnosticSeverity.Error) =>
            new DiagnosticDescriptor(id, title, messageFormat, category, severity, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + id + ".md");
    }
}
