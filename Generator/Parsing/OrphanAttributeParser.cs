using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using XformerDsl.Generator.Diagnostics;
using XformerDsl.Generator.Model;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Parsing
{
    /// <summary>
    /// Finds attention and frame attributes on a class that has no <c>[Transformer]</c>: the user probably forgot it,
    /// and without a diagnostic the attribute would silently do nothing.
    /// </summary>
    internal static class OrphanAttributeParser
    {
        public static ImmutableEquatableArray<DiagnosticInfo> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            if (context.TargetSymbol is not INamedTypeSymbol type
                || type.GetAttributes().Any(a => ModelParser.Is(a, KnownAttributes.Transformer)))
                return ImmutableEquatableArray<DiagnosticInfo>.Empty;

            return context.Attributes
                .Where(a => a.AttributeClass is not null)
                .Select(a => DiagnosticInfo.Create(DiagnosticDescriptors.OrphanAttribute,
                    LocationInfo.From(a.ApplicationSyntaxReference?.GetSyntax(cancellationToken)),
                    KnownAttributes.ShortName(a.AttributeClass!.ToDisplayString()), type.Name))
                .ToImmutableEquatableArray();
        }
    }
}
