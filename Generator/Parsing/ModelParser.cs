using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using XformerDsl.Generator.Diagnostics;
using XformerDsl.Generator.Families;
using XformerDsl.Generator.Model;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Parsing
{
    /// <summary>
    /// Turns one <c>[Transformer]</c> declaration (symbols and syntax) into a <see cref="ModelToGenerate"/> and
    /// diagnostics located at the offending syntax. Total: any input, however broken, yields a result; a model only
    /// when the declaration has no errors. Symbols never leave this class.
    /// </summary>
    internal static class ModelParser
    {
        /// <summary>Types the generated code needs; their absence means the project lacks XformerDsl.Runtime or TorchSharp.</summary>
        private static readonly string[] s_requiredRuntimeTypes = { "XformerDsl.Modules.ModelInputs", "TorchSharp.torch" };

        public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not TypeDeclarationSyntax declaration)
                return ParseResult.Nothing;
            // A class without a name is a syntax error the compiler reports; there is nothing to complete.
            if (declaration.Identifier.IsMissing || type.Name.Length == 0)
                return ParseResult.Nothing;

            var attributes = type.GetAttributes();
            var transformers = attributes.Where(a => Is(a, KnownAttributes.Transformer)).ToList();
            // A class with [Transformer] on two of its parts (the compiler reports CS0579) reaches us once per part;
            // only the part holding the first one speaks, so the model is emitted once.
            if (transformers.Count == 0 || !IsWithin(transformers[0], declaration))
                return ParseResult.Nothing;

            var diagnostics = new List<DiagnosticInfo>();
            bool shapeAllowsEmission = ClassShapeChecks.Check(type, declaration, context.SemanticModel, diagnostics, cancellationToken);

            var readers = new Dictionary<string, AttributeArguments>();
            var attentionReaders = new List<AttributeArguments>();
            var spec = SpecReader.Read(type, transformers[0], attributes, readers, attentionReaders, diagnostics, cancellationToken);
            var transformer = readers[KnownAttributes.ShortName(KnownAttributes.Transformer)];
            readers.TryGetValue(KnownAttributes.ShortName(KnownAttributes.Positions), out var positions);

            // The compiler already reports every broken attribute; adding rule violations computed from values it
            // rejected would only repeat or contradict it.
            bool compilerReportsErrors = readers.Values.Concat(attentionReaders).Any(r => r.IsBroken);
            if (spec is not null && !compilerReportsErrors)
            {
                foreach (var problem in spec.Validate())
                {
                    var location = problem.AttentionIndex is int index ? attentionReaders[index].LocationOf(problem.Argument)
                        : readers.TryGetValue(problem.Attribute, out var reader) ? reader.LocationOf(problem.Argument)
                        : transformer.Location;
                    diagnostics.Add(new DiagnosticInfo(problem.Rule.Id, location, problem.MessageArguments));
                }
                if (diagnostics.Count == 0)
                    CheckGenerationLimits(spec, attentionReaders, diagnostics);
                if (transformer.IsWritten(nameof(TransformerAttribute.SentenceLength)) && spec.Budget is null)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentHasNoEffect, transformer.LocationOf(nameof(TransformerAttribute.SentenceLength)),
                        nameof(TransformerAttribute.SentenceLength), SpecFormat.Int(transformer.OptionalInt(nameof(TransformerAttribute.SentenceLength)) ?? 0),
                        "no MultAddsBudget is declared", "declare MultAddsBudget = ... to set a budget at this length"));
                if (positions is not null && positions.IsWritten(nameof(PositionsAttribute.RotaryBase)) && spec.Positions.Kind != PositionEncoding.Rotary)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentHasNoEffect, positions.LocationOf(nameof(PositionsAttribute.RotaryBase)),
                        nameof(PositionsAttribute.RotaryBase), SpecFormat.Double(spec.Positions.RotaryBase), "Kind = " + SpecFormat.Enum(spec.Positions.Kind),
                        "set Kind = PositionEncoding.Rotary"));
            }
            var convertsFrom = spec is not null && !compilerReportsErrors && diagnostics.Count == 0
                ? ConversionParser.Read(type, attributes, spec, diagnostics, cancellationToken)
                : null;

            var missingRuntimeType = s_requiredRuntimeTypes.FirstOrDefault(name => context.SemanticModel.Compilation.GetTypeByMetadataName(name) is null);
            if (missingRuntimeType is not null)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RuntimeNotReferenced, transformer.Location, type.Name, missingRuntimeType));

            bool hasErrors = diagnostics.Any(diagnostic => DiagnosticDescriptors.ById(diagnostic.Id).DefaultSeverity == DiagnosticSeverity.Error);
            var model = spec is not null && shapeAllowsEmission && !compilerReportsErrors && !hasErrors
                ? new ModelToGenerate(ClassShapeChecks.Shape(type), spec, DeclarationAsWritten(attributes, declaration, cancellationToken), convertsFrom)
                : null;
            return new ParseResult(model, diagnostics.ToImmutableEquatableArray());
        }

        // Each family refuses a declaration whose generation alone would stall the compiler (XF0039 for block layouts).
        private static void CheckGenerationLimits(ModelSpec spec, List<AttributeArguments> attentionReaders, List<DiagnosticInfo> diagnostics)
        {
            for (int index = 0; index < spec.Attention.Count && index < attentionReaders.Count; index++)
            {
                var attention = spec.Attention[index].Attention;
                if (AttentionFamilies.Of(attention).GenerationProblem(spec, attention, attentionReaders[index].Location) is { } problem)
                    diagnostics.Add(problem);
            }
        }

        private static ImmutableEquatableArray<string> DeclarationAsWritten(IEnumerable<AttributeData> attributes, TypeDeclarationSyntax declaration,
            CancellationToken cancellationToken)
        {
            var lines = attributes
                .Where(a => a.AttributeClass?.ContainingNamespace?.ToDisplayString() == KnownAttributes.Namespace)
                .Select(a => AttributeArguments.Text(a, cancellationToken))
                .ToList();
            var modifiers = string.Concat(declaration.Modifiers.Select(m => m.ValueText + " "));
            lines.Add(modifiers + "class " + declaration.Identifier.ValueText);
            return lines.ToImmutableEquatableArray();
        }

        internal static bool Is(AttributeData attribute, string metadataName) =>
            attribute.AttributeClass is { } attributeClass && attributeClass.ToDisplayString() == metadataName;

        private static bool IsWithin(AttributeData attribute, SyntaxNode node) =>
            attribute.ApplicationSyntaxReference is { } reference
            && reference.SyntaxTree == node.SyntaxTree
            && node.Span.Contains(reference.Span);
    }
}
