using XformerDsl.Specs;

namespace XformerDsl.Generator.Model
{
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
}
