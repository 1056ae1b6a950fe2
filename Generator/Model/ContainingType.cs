using XformerDsl.Specs;

namespace XformerDsl.Generator.Model
{
    /// <summary>An enclosing type, re-declared as <c>partial {Keyword} {NameWithTypeParameters}</c>.</summary>
    internal sealed record ContainingType(string Keyword, string NameWithTypeParameters);
}
