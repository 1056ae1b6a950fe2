using System.Collections.Generic;
using System.Linq;

namespace XformerDsl.Generator.Emit
{
    /// <summary>
    /// The emitted code of a layer whose heads form groups that attend differently (see <c>HeadGroup</c>): each group
    /// takes its heads out of the split projections and the outputs join again in head order. Used by per-head
    /// dilation and axial attention, and next by Lite Transformer's branch split.
    /// </summary>
    internal static class HeadGroupSlices
    {
        /// <summary><c>q.narrow(1, first, heads)</c>: a group's heads of a split projection <c>[batch, heads, seq, headDim]</c>, without a copy.</summary>
        public static string Narrow(string tensor, string firstHead, string heads) => $"{tensor}.narrow(1, {firstHead}, {heads})";

        /// <summary>The groups' outputs joined along the head dimension on one line: <c>torch.cat(new[] { rows, columns }, 1)</c>.</summary>
        public static string Join(IEnumerable<string> outputs) => $"{Names.Torch}.cat(new[] {{ {string.Join(", ", outputs)} }}, 1)";

        /// <summary>
        /// <c>return torch.cat(new[] { … }, 1);</c> with one group's output per line, each followed by its comment
        /// (which heads it holds).
        /// </summary>
        public static void EmitReturnJoined(SourceWriter writer, IEnumerable<(string Output, string Comment)> groups)
        {
            writer.WriteLine($"return {Names.Torch}.cat(new[]");
            writer.OpenBlock();
            foreach (var (output, comment) in groups)
                writer.WriteLine($"{output}, // {comment}");
            writer.CloseBlock(", 1);");
        }
    }
}
