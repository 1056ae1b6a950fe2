using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using System.Linq;
using System.Text;
using XformerDsl.Specs;
using XformerDsl.Generator.Emit;
using XformerDsl.Generator.Model;
using XformerDsl.Generator.Parsing;

namespace XformerDsl.Generator
{
    /// <summary>
    /// Completes every <c>[Transformer]</c> partial class as a TorchSharp module. Only the pipeline lives here:
    /// parse (symbols → equatable model + diagnostics) → emit source, and report diagnostics on their own output.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class XformerGenerator : IIncrementalGenerator
    {
        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var parsed = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    KnownAttributes.Transformer,
                    static (node, _) => IsClassLike(node),
                    static (syntaxContext, cancellationToken) => ModelParser.Parse(syntaxContext, cancellationToken))
                .WithTrackingName(TrackingNames.Parsed);

            var models = parsed
                .Select(static (result, _) => result.Model)
                .WithTrackingName(TrackingNames.Models);
            // Hint names must be unique ignoring case. Only the names two models share are collected, so in the usual
            // compilation this stays empty and editing one model does not re-emit the others.
            var sharedHintNames = models
                .Where(static model => model is not null)
                .Select(static (model, _) => model!.Type.HintName)
                .Collect()
                .Select(static (names, _) => names
                    .GroupBy(name => name, System.StringComparer.OrdinalIgnoreCase)
                    .Where(group => group.Count() > 1)
                    .Select(group => group.Key.ToUpperInvariant())
                    .OrderBy(name => name, System.StringComparer.Ordinal)
                    .ToImmutableEquatableArray());
            context.RegisterSourceOutput(models.Combine(sharedHintNames), static (output, pair) =>
            {
                var (model, shared) = pair;
                if (model is null)
                    return;
                var hintName = shared.Contains(model.Type.HintName.ToUpperInvariant()) ? model.Type.DisambiguatedHintName : model.Type.HintName;
                output.AddSource(hintName, SourceText.From(ModelFileEmitter.Emit(model), Encoding.UTF8));
            });

            var diagnostics = parsed
                .Select(static (result, _) => result.Diagnostics)
                .WithTrackingName(TrackingNames.Diagnostics);
            context.RegisterSourceOutput(diagnostics, static (output, items) =>
            {
                foreach (var item in items)
                    output.ReportDiagnostic(item.ToDiagnostic());
            });

            // An attention or frame attribute on a class without [Transformer] would otherwise do nothing, silently.
            foreach (var companion in KnownAttributes.RequiringTransformer)
            {
                var orphans = context.SyntaxProvider
                    .ForAttributeWithMetadataName(
                        companion,
                        static (node, _) => IsClassLike(node),
                        static (syntaxContext, cancellationToken) => OrphanAttributeParser.Parse(syntaxContext, cancellationToken))
                    .WithTrackingName(TrackingNames.OrphanAttributes);
                context.RegisterSourceOutput(orphans, static (output, items) =>
                {
                    foreach (var item in items)
                        output.ReportDiagnostic(item.ToDiagnostic());
                });
            }
        }

        /// <summary>Classes and record classes; the attributes' usage already makes the compiler reject structs and interfaces.</summary>
        private static bool IsClassLike(SyntaxNode node) =>
            node is ClassDeclarationSyntax
            || node is RecordDeclarationSyntax record && !record.ClassOrStructKeyword.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.StructKeyword);
    }
}
