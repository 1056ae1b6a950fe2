using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace XformerDsl.Generator.Emit
{
    /// <summary>
    /// A model nested in a generic type sees that type's parameters; a generated generic method declaring one of the same
    /// name (the kernels' <c>T</c>, <c>TVec</c>, <c>TOps</c>) would hide it and warn (CS0693). For such a model only,
    /// each clashing type parameter of a generated method or type is renamed within its own declaration (<c>T</c> →
    /// <c>T1</c>), so every other model's output stays exactly as the emitters write it.
    /// </summary>
    internal static class TypeParameterRenamer
    {
        public static string AvoidOuterTypeParameters(string source, IReadOnlyCollection<string> outerTypeParameters)
        {
            if (outerTypeParameters.Count == 0)
                return source;
            var root = CSharpSyntaxTree.ParseText(source).GetRoot();
            var renames = new Dictionary<SyntaxToken, string>();
            foreach (var list in root.DescendantNodes().OfType<TypeParameterListSyntax>())
            {
                var scope = list.Parent!;
                // The containing types' re-declarations are the user's own parameters: left alone.
                if (scope is TypeDeclarationSyntax && scope.DescendantNodes().OfType<TypeDeclarationSyntax>().Any(IsModelClass))
                    continue;
                var taken = new HashSet<string>(outerTypeParameters.Concat(list.Parameters.Select(p => p.Identifier.ValueText)));
                foreach (var parameter in list.Parameters)
                {
                    string name = parameter.Identifier.ValueText;
                    if (!outerTypeParameters.Contains(name))
                        continue;
                    string renamed = Fresh(name, taken, scope);
                    foreach (var token in scope.DescendantTokens())
                    {
                        if (token.IsKind(SyntaxKind.IdentifierToken) && token.ValueText == name && RefersToTypeParameter(token))
                            renames[token] = renamed;
                    }
                }
            }
            return renames.Count == 0
                ? source
                : root.ReplaceTokens(renames.Keys, (original, _) => SyntaxFactory.Identifier(original.LeadingTrivia, renames[original], original.TrailingTrivia)).ToFullString();
        }

        // The model class is the one carrying the GeneratedCode attribute.
        private static bool IsModelClass(TypeDeclarationSyntax type) =>
            type.AttributeLists.SelectMany(list => list.Attributes).Any(a => a.Name.ToString().EndsWith("GeneratedCode", System.StringComparison.Ordinal));

        private static string Fresh(string name, HashSet<string> taken, SyntaxNode scope)
        {
            var used = new HashSet<string>(scope.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken)).Select(t => t.ValueText));
            for (int suffix = 1; ; suffix++)
            {
                string candidate = name + suffix.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (!taken.Contains(candidate) && !used.Contains(candidate))
                {
                    taken.Add(candidate);
                    return candidate;
                }
            }
        }

        // A type parameter's declaration or a simple name that can bind to it; not a member name after a dot.
        private static bool RefersToTypeParameter(SyntaxToken token) => token.Parent switch
        {
            TypeParameterSyntax => true,
            IdentifierNameSyntax name => !(name.Parent is MemberAccessExpressionSyntax access && access.Name == name)
                && !(name.Parent is QualifiedNameSyntax qualified && qualified.Right == name)
                && !(name.Parent is AliasQualifiedNameSyntax alias && alias.Name == name)
                && !(name.Parent is NameColonSyntax),
            _ => false,
        };
    }
}
