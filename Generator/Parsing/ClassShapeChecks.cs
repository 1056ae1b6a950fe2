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
    /// What the class itself must be for the generator to complete it (partial, not generic or static, no base class,
    /// no member named like a generated one), and its shape (namespace, containing types) for the emitted file.
    /// </summary>
    internal static class ClassShapeChecks
    {
        /// <summary>
        /// Reports what keeps the class from being completed as a module. Returns false when the generator must not
        /// emit, including silently when the compiler already reports the problem (an unresolvable base class).
        /// </summary>
        public static bool Check(INamedTypeSymbol type, TypeDeclarationSyntax declaration, SemanticModel semanticModel,
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

            // A primary constructor with parameters makes every other constructor chain to it (CS8862); the generated
            // one cannot know its arguments. An empty parameter list is the parameterless constructor (XF0020).
            foreach (var reference in type.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax { ParameterList: { Parameters.Count: > 0 } parameters })
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.PrimaryConstructor, LocationInfo.From(parameters), name,
                        parameters.WithoutTrivia().NormalizeWhitespace().ToFullString()));
            }

            CheckNameClashes(type, diagnostics);

            // A type named 'var' where the generated code is (around it, beside it, in it) turns every 'var' declaration
            // of the generated code into that type.
            var hidingVar = semanticModel.LookupNamespacesAndTypes(declaration.Identifier.SpanStart, name: "var")
                .Concat(type.GetTypeMembers("var")).FirstOrDefault();
            if (hidingVar is not null)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NameClash, LocationInfo.From(declaration.Identifier), name, "var",
                    $"rename the type '{hidingVar.ToDisplayString()}', which hides C#'s 'var' that the generated code uses"));

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
            "CreateState", "Step", "ConvertFrom", "CreateMemory",
            "mlm_head", "classifier", "MaskedLanguageModelHead", "ClassificationHead",
            "encoder", "decoder", "EncodeSource", "DecodeTarget", "CrossAttention", "Encode", "CreateDecoderState",
        }.Concat(AttentionFamilies.All.Select(family => family.LayerClassName)).ToArray();

        /// <summary>The nested stacks of an encoder–decoder, generated only for a class with <c>[Encoder]</c>.</summary>
        internal static readonly string[] EncoderDecoderMemberNames = { "Encoder", "Decoder" };

        private static void CheckNameClashes(INamedTypeSymbol type, List<DiagnosticInfo> diagnostics)
        {
            bool encoderDecoder = type.GetAttributes().Any(a => ModelParser.Is(a, KnownAttributes.Encoder));
            var generatedMemberNames = encoderDecoder ? GeneratedMemberNames.Concat(EncoderDecoderMemberNames).ToArray() : GeneratedMemberNames;
            if (generatedMemberNames.Contains(type.Name) || type.Name == "forward")
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
                    // Any other method named like a generated member: a field, property or nested class of that name
                    // cannot coexist with it, and an overload of a generated method makes its documentation's cref ambiguous.
                    IMethodSymbol { MethodKind: MethodKind.Ordinary } method => generatedMemberNames.Contains(method.Name)
                        && !(method.Name == "InitializeWeights" && method.Parameters.Length > 0),
                    IMethodSymbol => false,
                    _ => generatedMemberNames.Contains(member.Name) || member.Name == "forward",
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

        public static TypeShape Shape(INamedTypeSymbol type)
        {
            var containing = new List<ContainingType>();
            for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
                containing.Insert(0, new ContainingType(Keyword(outer), outer.Name, outer.TypeParameters.Select(p => p.Name).ToImmutableEquatableArray()));
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
    }
}
