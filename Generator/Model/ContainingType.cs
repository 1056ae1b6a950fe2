using System.Linq;
using XformerDsl.Generator.Emit;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Model
{
    /// <summary>An enclosing type, re-declared as <c>partial {Keyword} {Name}&lt;{TypeParameters}&gt;</c>.</summary>
    /// <param name="Keyword">As declared, e.g. <c>class</c>, <c>record struct</c> or <c>ref struct</c>.</param>
    /// <param name="Name">The name as the compiler knows it, without <c>@</c>.</param>
    /// <param name="TypeParameters">Its type parameters' names, without <c>@</c>; empty when it is not generic.</param>
    internal sealed record ContainingType(string Keyword, string Name, ImmutableEquatableArray<string> TypeParameters)
    {
        /// <summary>The name as C# displays it in messages, e.g. <c>Outer&lt;T&gt;</c>.</summary>
        public string NameWithTypeParameters =>
            TypeParameters.IsEmpty ? Name : Name + "<" + string.Join(", ", TypeParameters) + ">";

        /// <summary>
        /// The re-declaration, e.g. <c>partial class Outer&lt;T&gt;</c>, with keywords escaped; <c>ref</c> must precede
        /// <c>partial</c>, so a ref struct reads <c>ref partial struct</c>.
        /// </summary>
        public string Declaration
        {
            get
            {
                var name = Names.Identifier(Name) + (TypeParameters.IsEmpty ? "" : "<" + string.Join(", ", TypeParameters.Select(Names.Identifier)) + ">");
                return Keyword.StartsWith("ref ", System.StringComparison.Ordinal)
                    ? "ref partial " + Keyword.Substring("ref ".Length) + " " + name
                    : "partial " + Keyword + " " + name;
            }
        }
    }
}
