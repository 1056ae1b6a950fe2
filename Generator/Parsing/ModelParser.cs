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
            bool shapeAllowsEmission = CheckTypeShape(type, declaration, context.SemanticModel, diagnostics, cancellationToken);

            var readers = new Dictionary<string, AttributeArguments>();
            var attentionReaders = new List<AttributeArguments>();
            var spec = ReadSpec(type, transformers[0], attributes, readers, attentionReaders, diagnostics, cancellationToken);
            var transformer = readers["Transformer"];
            readers.TryGetValue("Positions", out var positions);

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
                ? new ModelToGenerate(Shape(type), spec, DeclarationAsWritten(attributes, declaration, cancellationToken), convertsFrom)
                : null;
            return new ParseResult(model, diagnostics.ToImmutableEquatableArray());
        }

        /// <summary>
        /// Reads a <c>[Transformer]</c> class's attributes into its spec, every default resolved (not yet validated);
        /// null when a required part is missing. Fills <paramref name="readers"/> (by attribute name) and
        /// <paramref name="attentionReaders"/> (in declaration order) so problems can be located. Used for the model
        /// being generated and, with a throwaway diagnostics list, for the source a <c>[ConvertsFrom]</c> names.
        /// </summary>
        internal static ModelSpec? ReadSpec(INamedTypeSymbol type, AttributeData transformerAttribute, IEnumerable<AttributeData> attributes,
            Dictionary<string, AttributeArguments> readers, List<AttributeArguments> attentionReaders, List<DiagnosticInfo> diagnostics,
            CancellationToken cancellationToken)
        {
            var transformer = AttributeArguments.Read(transformerAttribute, "Transformer", diagnostics, cancellationToken);
            readers["Transformer"] = transformer;

            // Attention: one or more attributes of any family, each applying to the layers its selector names.
            var attentionAttributes = attributes
                .Select(a => (Attribute: a, Family: a.AttributeClass is null ? null : AttentionFamilies.ByMetadataName(a.AttributeClass.ToDisplayString())))
                .Where(x => x.Family is not null)
                .ToList();
            var declarations = new List<LayerAttention>();
            if (attentionAttributes.Count == 0)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoAttention, transformer.Location, type.Name));
            foreach (var (attribute, family) in attentionAttributes)
            {
                var reader = AttributeArguments.Read(attribute, family!.AttributeName, diagnostics, cancellationToken);
                attentionReaders.Add(reader);
                var selector = new LayerSelector(reader.IntArray(nameof(AttentionAttribute.Layers)), reader.IsWritten(nameof(AttentionAttribute.Every)) ? reader.OptionalInt(nameof(AttentionAttribute.Every)) : null);
                if (family.Parse(reader) is { } attention)
                    declarations.Add(new LayerAttention(attention, selector));
            }
            bool attentionParsed = attentionAttributes.Count > 0 && declarations.Count == attentionAttributes.Count;

            var feedForward = ReadOptional(attributes, KnownAttributes.FeedForward, "FeedForward", readers, diagnostics, cancellationToken);
            var positions = ReadOptional(attributes, KnownAttributes.Positions, "Positions", readers, diagnostics, cancellationToken);
            var normalization = ReadOptional(attributes, KnownAttributes.Normalization, "Normalization", readers, diagnostics, cancellationToken);
            var reversible = ReadOptional(attributes, KnownAttributes.Reversible, "Reversible", readers, diagnostics, cancellationToken);

            int? vocab = transformer.RequiredInt(nameof(TransformerAttribute.Vocab), SpecLimits.Vocab);
            int? dim = transformer.RequiredInt(nameof(TransformerAttribute.Dim), SpecLimits.Dim);
            int? depth = transformer.RequiredInt(nameof(TransformerAttribute.Depth), SpecLimits.Depth);
            int? maxLength = transformer.RequiredInt(nameof(TransformerAttribute.MaxLength), SpecLimits.MaxLength);

            if (vocab is int v && dim is int d && depth is int n && maxLength is int l && attentionParsed)
            {
                // Hidden defaults to 4·Dim; with Dim itself out of range (reported below) use a harmless stand-in.
                int defaultHidden = SpecDefaults.HiddenPerDim * (SpecLimits.Dim.Contains(d) ? d : SpecLimits.Dim.Example);
                return new ModelSpec(
                    Name: type.Name,
                    Vocab: v,
                    Dim: d,
                    Depth: n,
                    MaxLength: l,
                    Causal: transformer.Bool(nameof(TransformerAttribute.Causal), SpecDefaults.Causal),
                    Bias: transformer.Bool(nameof(TransformerAttribute.Bias), SpecDefaults.Bias),
                    TiedEmbeddings: transformer.Bool(nameof(TransformerAttribute.TiedEmbeddings), SpecDefaults.TiedEmbeddings),
                    Dropout: transformer.Double(nameof(TransformerAttribute.Dropout), SpecDefaults.Dropout),
                    Attention: declarations.ToImmutableEquatableArray(),
                    FeedForward: new FeedForwardSpec(
                        feedForward?.OptionalInt(nameof(FeedForwardAttribute.Hidden)) ?? defaultHidden,
                        feedForward?.Enum(nameof(FeedForwardAttribute.Activation), SpecDefaults.Activation) ?? SpecDefaults.Activation,
                        feedForward?.OptionalInt(nameof(FeedForwardAttribute.Chunks)) ?? SpecDefaults.FeedForwardChunks),
                    Positions: new PositionSpec(
                        positions?.Enum(nameof(PositionsAttribute.Kind), SpecDefaults.Positions) ?? SpecDefaults.Positions,
                        positions?.Double(nameof(PositionsAttribute.RotaryBase), SpecDefaults.RotaryBase) ?? SpecDefaults.RotaryBase),
                    Normalization: new NormSpec(
                        normalization?.Enum(nameof(NormalizationAttribute.Kind), SpecDefaults.Norm) ?? SpecDefaults.Norm,
                        normalization?.Enum(nameof(NormalizationAttribute.Placement), SpecDefaults.Placement) ?? SpecDefaults.Placement,
                        normalization?.Double(nameof(NormalizationAttribute.Epsilon), SpecDefaults.Epsilon) ?? SpecDefaults.Epsilon),
                    Reversible: reversible is not null);
            }
            return null;
        }

        /// <summary>
        /// Reports what keeps the class from being completed as a module. Returns false when the generator must not
        /// emit, including silently when the compiler already reports the problem (an unresolvable base class).
        /// </summary>
        private static bool CheckTypeShape(INamedTypeSymbol type, TypeDeclarationSyntax declaration, SemanticModel semanticModel,
            List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
        {
            int before = diagnostics.Count;
            string name = type.Name;

            if (declaration is RecordDeclarationSyntax record)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedTypeKind, LocationInfo.From(record.Keyword), name, "a record"));
            var file = declaration.Modifiers.FirstOrDefault(m => m.IsKind(SyntaxKind.FileKeyword));
            if (file.IsKind(SyntaxKind.FileKeyword))
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedTypeKind, LocationInfo.From(file), name, "a file-local type"));

            if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelNotPartial, LocationInfo.From(declaration.Identifier), name));

            if (type.TypeParameters.Length > 0)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelIsGeneric,
                    LocationInfo.From((SyntaxNode?)declaration.TypeParameterList) ?? LocationInfo.From(declaration.Identifier),
                    name, "<" + string.Join(", ", type.TypeParameters.Select(p => p.Name)) + ">"));

            var @static = declaration.Modifiers.FirstOrDefault(m => m.IsKind(SyntaxKind.StaticKeyword));
            if (type.IsStatic)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelIsStatic,
                    @static.IsKind(SyntaxKind.StaticKeyword) ? LocationInfo.From(@static) : LocationInfo.From(declaration.Identifier), name));

            for (var parent = declaration.Parent as TypeDeclarationSyntax; parent is not null; parent = parent.Parent as TypeDeclarationSyntax)
            {
                if (!parent.Modifiers.Any(SyntaxKind.PartialKeyword))
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ContainingTypeNotPartial,
                        LocationInfo.From(parent.Identifier), name, parent.Identifier.ValueText));
            }

            CheckNameClashes(type, diagnostics);

            var baseType = type.BaseType;
            if (baseType is not null && baseType.SpecialType != SpecialType.System_Object)
            {
                if (baseType.TypeKind == TypeKind.Error)
                    return false;   // the compiler reports the unknown base type; completing the class would add a conflict
                var baseSyntax = declaration.BaseList?.Types
                    .FirstOrDefault(t => SymbolEqualityComparer.Default.Equals(semanticModel.GetTypeInfo(t.Type, cancellationToken).Type, baseType));
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelHasBaseClass,
                    baseSyntax is not null ? LocationInfo.From(baseSyntax) : LocationInfo.From(declaration.Identifier),
                    name, baseType.ToDisplayString()));
            }

            return diagnostics.Count == before;
        }

        /// <summary>
        /// Members the emitted module declares in the class. A user member with one of these names (or a class named
        /// like one of them) would make the generated code fail to compile, far from the cause.
        /// </summary>
        internal static readonly string[] GeneratedMemberNames = new[]
        {
            "Spec", "Card", "token_embedding", "position_embedding", "layers", "final_norm", "lm_head",
            "InitializeWeights", "Block", "SelfAttention", "FeedForwardNetwork", "AttentionOfLayer", "ReconstructInBackward",
            "CreateState", "Step", "ConvertFrom",
        }.Concat(AttentionFamilies.All.Select(family => family.LayerClassName)).ToArray();

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

        private static void CheckNameClashes(INamedTypeSymbol type, List<DiagnosticInfo> diagnostics)
        {
            if (GeneratedMemberNames.Contains(type.Name) || type.Name == "forward")
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NameClash, LocationInfo.From(type.Locations.FirstOrDefault()),
                    type.Name, type.Name, "rename the class"));
                return;
            }
            foreach (var member in type.GetMembers())
            {
                if (member.IsImplicitlyDeclared)
                    continue;
                bool clashes = member switch
                {
                    IMethodSymbol { MethodKind: MethodKind.Constructor, IsStatic: false, Parameters.Length: 0 } => true,
                    IMethodSymbol { Name: "InitializeWeights", Parameters.Length: 0 } => true,
                    IMethodSymbol { Name: "forward" } method => method.Parameters.Length is 1 or 2
                        && method.Parameters.All(p => p.Type.ToDisplayString() is "TorchSharp.torch.Tensor" or "TorchSharp.torch.Tensor?"),
                    IMethodSymbol => false,
                    _ => GeneratedMemberNames.Contains(member.Name) || member.Name == "forward",
                };
                if (clashes)
                {
                    var shown = member is IMethodSymbol { MethodKind: MethodKind.Constructor } ? type.Name + "()" : member.Name;
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NameClash, LocationInfo.From(member.Locations.FirstOrDefault()),
                        type.Name, shown,
                        member is IMethodSymbol { MethodKind: MethodKind.Constructor }
                            ? "remove the parameterless constructor, the generated one builds the layers"
                            : $"rename '{shown}' in your declaration"));
                }
            }
        }

        private static AttributeArguments? ReadOptional(IEnumerable<AttributeData> attributes, string metadataName, string attributeName,
            Dictionary<string, AttributeArguments> readers, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
        {
            // A duplicate is the compiler's CS0579; the first application is the one that counts.
            var attribute = attributes.FirstOrDefault(a => Is(a, metadataName));
            if (attribute is null)
                return null;
            var reader = AttributeArguments.Read(attribute, attributeName, diagnostics, cancellationToken);
            readers[attributeName] = reader;
            return reader;
        }

        private static TypeShape Shape(INamedTypeSymbol type)
        {
            var containing = new List<ContainingType>();
            for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
                containing.Insert(0, new ContainingType(Keyword(outer), NameWithTypeParameters(outer)));
            var ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : null;
            return new TypeShape(ns, type.Name, containing.ToImmutableEquatableArray());
        }

        private static string Keyword(INamedTypeSymbol type) => type switch
        {
            { IsRecord: true, IsValueType: true } => "record struct",
            { IsRecord: true } => "record",
            { TypeKind: TypeKind.Struct, IsRefLikeType: true } => "ref struct",
            { TypeKind: TypeKind.Struct } => "struct",
            { TypeKind: TypeKind.Interface } => "interface",
            _ => "class",
        };

        private static string NameWithTypeParameters(INamedTypeSymbol type) =>
            type.TypeParameters.Length == 0 ? type.Name : type.Name + "<" + string.Join(", ", type.TypeParameters.Select(p => p.Name)) + ">";

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
