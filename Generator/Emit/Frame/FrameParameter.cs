using System.Collections.Generic;
using System.Linq;

namespace XformerDsl.Generator.Emit.Frame
{
    /// <summary>A parameter of a generated forward: its type, its name, and the text of its <c>&lt;param&gt;</c> doc.</summary>
    internal sealed record FrameParameter(string Type, string Name, string Documentation)
    {
        /// <summary><c>global::…Tensor? keyPaddingMask, …</c>: the parameters as declared.</summary>
        public static string Declarations(IEnumerable<FrameParameter> parameters) =>
            string.Join(", ", parameters.Select(p => p.Type + " " + p.Name));

        /// <summary><c>keyPaddingMask, …</c>: the parameters passed on under their own names.</summary>
        public static string Arguments(IEnumerable<FrameParameter> parameters) =>
            string.Join(", ", parameters.Select(p => p.Name));

        /// <summary>Writes the <c>&lt;param&gt;</c> doc line of each parameter.</summary>
        public static void EmitDocumentation(SourceWriter writer, IEnumerable<FrameParameter> parameters)
        {
            foreach (var parameter in parameters)
                writer.WriteLine($"/// <param name=\"{parameter.Name}\">{parameter.Documentation}</param>");
        }
    }
}
