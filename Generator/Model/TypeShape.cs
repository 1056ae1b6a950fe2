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

        /// <summary>
        /// The hint name of an ordinary model: its full name in file-name-safe characters. Two models can share it
        /// (<c>Model</c> and <c>model</c>, since hint names compare ignoring case; <c>Outer&lt;T&gt;.M</c> and
        /// <c>Outer_T_.M</c>); the generator then gives each of them <see cref="DisambiguatedHintName"/>.
        /// </summary>
        public string HintName => PlainHintName + ".g.cs";

        /// <summary>
        /// The hint name of a model whose <see cref="HintName"/> another model shares: with a hash of its exact full
        /// name after a '-', which no plain hint name contains, so it depends on nothing but the model's own name.
        /// </summary>
        public string DisambiguatedHintName => PlainHintName + "-" + StableHash(FullName) + ".g.cs";

        // FNV-1a over the UTF-16 code units: stable across processes and runtimes, unlike string.GetHashCode.
        private static string StableHash(string text)
        {
            uint hash = 2166136261;
            foreach (char c in text)
            {
                hash = (hash ^ (uint)(c & 0xFF)) * 16777619;
                hash = (hash ^ (uint)(c >> 8)) * 16777619;
            }
            return hash.ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
        }

        private string PlainHintName
        {
            get
            {
                var chars = FullName.ToCharArray();
                for (int i = 0; i < chars.Length; i++)
                {
                    if (!(char.IsLetterOrDigit(chars[i]) || chars[i] == '.' || chars[i] == '_'))
                        chars[i] = '_';
                }
                return new string(chars);
            }
        }
    }
}
