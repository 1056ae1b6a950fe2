using System.Collections.Generic;
using System.Linq;
using XformerDsl.Generator.Emit;
using XformerDsl.Generator.Emit.Kernels;
using XformerDsl.Generator.Parsing;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary><c>[SparseAttention]</c>: the Sparse Transformer's strided or fixed pattern, both halves in every head.</summary>
    internal sealed class SparseAttentionFamily : PatternAttentionFamily<SparseAttentionSpec, SparseAttentionAttribute>
    {
        protected override SparseAttentionSpec? ParseSpec(AttributeArguments arguments) =>
            (arguments.RequiredInt(nameof(SparseAttentionAttribute.Heads), SpecLimits.Heads), arguments.RequiredInt(nameof(SparseAttentionAttribute.Stride), PatternLimits.Stride)) is (int heads, int stride)
                ? new SparseAttentionSpec(heads, stride,
                    arguments.Enum(nameof(SparseAttentionAttribute.Mode), SparsePattern.Strided),
                    arguments.OptionalInt(nameof(SparseAttentionAttribute.Summary)) ?? 1)
                : null;

        protected override IEnumerable<(string Name, string Literal)> FormatSpec(SparseAttentionSpec sparse) => new[]
        {
            Argument(nameof(SparseAttentionAttribute.Heads), sparse.Heads), Argument(nameof(SparseAttentionAttribute.Stride), sparse.Stride),
            Argument(nameof(SparseAttentionAttribute.Mode), sparse.Mode), Argument(nameof(SparseAttentionAttribute.Summary), sparse.Summary),
        };

        /// <summary>
        /// A causal sparse layer steps from the keys it can still read: the last Stride and every key of the query's residue
        /// class (strided, so all of them), or the current block and every block's summary keys (fixed).
        /// </summary>
        public override StepStateDescription? StepState(ModelSpec spec, AttentionSpec attention) =>
            PatternStepEmitter.Growing("sparse attention", "Sparse attention layers");

        protected override string Description(ModelSpec spec, SparseAttentionSpec pattern) =>
            $"{(spec.Causal ? "causal" : "bidirectional")} {(pattern.Mode == SparsePattern.Fixed ? "fixed" : "strided")} sparse attention with stride {Int(pattern.Stride)}" +
            (pattern.Mode == SparsePattern.Fixed ? $" and {Int(pattern.Summary)} summary position{(pattern.Summary == 1 ? "" : "s")} per block" : "");

        protected override IReadOnlyList<string> SeesStatements(ModelSpec spec, SparseAttentionSpec pattern)
        {
            var lines = CausalCheck(spec);
            int stride = pattern.Stride;
            if (pattern.Mode == SparsePattern.Fixed)
            {
                lines.Add($"// The query's own block of {Int(stride)}.");
                lines.Add($"if (query / {Int(stride)} == key / {Int(stride)})");
                lines.Add("    return true;");
                lines.Add($"// The summary positions: the last {Int(pattern.Summary)} of every block.");
                lines.Add($"return key % {Int(stride)} >= {Int(stride - pattern.Summary)};");
            }
            else
            {
                lines.Add(spec.Causal ? "int distance = query - key;" : "int distance = global::System.Math.Abs(query - key);");
                lines.Add($"// The local half: the {Int(stride - 1)} nearest keys{(spec.Causal ? " before the query" : " on each side")} and the query; the strided half: every {Int(stride)}-th key.");
                lines.Add($"return distance < {Int(stride)} || distance % {Int(stride)} == 0;");
            }
            return lines;
        }
    }
}
