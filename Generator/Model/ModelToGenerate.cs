using XformerDsl.Specs;

namespace XformerDsl.Generator.Model
{
    /// <summary>
    /// Everything the emitters need for one valid declaration: where the class lives, what it declares, and the
    /// declaration's attributes as written (restated in the header). Pure data with value equality.
    /// </summary>
    /// <param name="Type">The partial class to complete.</param>
    /// <param name="Spec">The architecture, every default resolved, already validated.</param>
    /// <param name="DeclarationAsWritten">The XformerDsl attributes as the user wrote them, then the class line.</param>
    /// <param name="ConvertsFrom">The model <c>[ConvertsFrom]</c> names, already checked compatible; null without one.</param>
    internal sealed record ModelToGenerate(TypeShape Type, ModelSpec Spec, ImmutableEquatableArray<string> DeclarationAsWritten,
        ConversionSource? ConvertsFrom = null);

    /// <summary>The source of a <c>[ConvertsFrom]</c> conversion.</summary>
    /// <param name="FullyQualifiedName">With <c>global::</c>, as emitted code names it.</param>
    /// <param name="Name">The class name, for documentation.</param>
    internal sealed record ConversionSource(string FullyQualifiedName, string Name);

    /// <summary>The model class and the types around it.</summary>
    /// <param name="Namespace">The containing namespace, or null for the global namespace.</param>
    /// <param name="Name">The class name.</param>
    /// <param name="ContainingTypes">Enclosing types, outermost first (all partial).</param>
    internal sealed record TypeShape(string? Namespace, string Name, ImmutableEquatableArray<ContainingType> ContainingTypes)
    {
        /// <summary>The fully qualified name without <c>global::</c>, e.g. <c>Demo.Outer.TinyGpt</c>.</summary>
        public string FullName
        {
            get
            {
                var prefix = Namespace is null ? string.Empty : Namespace + ".";
                foreach (var containing in ContainingTypes)
                    prefix += containing.NameWithTypeParameters + ".";
                return prefix + Name;
            }
        }

        /// <summary>A hint name unique in the compilation, made of file-name-safe characters.</summary>
        public string HintName
        {
            get
            {
                var chars = FullName.ToCharArray();
                for (int i = 0; i < chars.Length; i++)
                {
                    if (!(char.IsLetterOrDigit(chars[i]) || chars[i] == '.' || chars[i] == '_'))
                        chars[i] = '_';
                }
                return new string(chars) + ".g.cs";
            }
        }
    }

    /// <summary>An enclosing type, re-declared as <c>partial {Keyword} {NameWithTypeParameters}</c>.</summary>
    internal sealed record ContainingType(string Keyword, string NameWithTypeParameters);

    /// <summary>What the parser makes of one <c>[Transformer]</c> declaration: a model (when it is valid) and diagnostics.</summary>
    internal sealed record ParseResult(ModelToGenerate? Model, ImmutableEquatableArray<DiagnosticInfo> Diagnostics)
    {
        public static ParseResult Nothing { get; } = new ParseResult(null, ImmutableEquatableArray<DiagnosticInfo>.Empty);
    }
}
