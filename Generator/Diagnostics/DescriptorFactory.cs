using Microsoft.CodeAnalysis;

namespace XformerDsl.Generator.Diagnostics
{
    /// <summary>
    /// Makes every descriptor the generator reports the same way: its help page under one base, its category. It holds
    /// no descriptors itself, so the tables that call it (<see cref="DiagnosticDescriptors"/>, a family's own) can be
    /// initialised in any order.
    /// </summary>
    internal static class DescriptorFactory
    {
        /// <summary>Help pages live beside the code; the ID and <c>.md</c> are appended.</summary>
        private const string HelpLinkBase = "https://github.com/xformerdsl/xformerdsl/blob/main/docs/diagnostics/";

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
