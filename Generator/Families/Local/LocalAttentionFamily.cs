using System.Collections.Generic;
using System.Linq;
using XformerDsl.Generator.Emit;
using XformerDsl.Generator.Emit.Kernels;
using XformerDsl.Generator.Parsing;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary><c>[LocalAttention]</c>: the query's block and its neighbours.</summary>
    internal sealed class LocalAttentionFamily : PatternAttentionFamily<LocalAttentionSpec, LocalAttentionAttribute>
    {
        protected override LocalAttentionSpec? ParseSpec(AttributeArguments arguments) =>
            (arguments.RequiredInt(nameof(LocalAttentionAttribute.Heads), SpecLimits.Heads), arguments.RequiredInt(nameof(LocalAttentionAttribute.Block), PatternLimits.Block)) is (int heads, int block)
                ? new LocalAttentionSpec(heads, block,
                    arguments.OptionalInt(nameof(LocalAttentionAttribute.Before)) ?? 0,
                    arguments.OptionalInt(nameof(LocalAttentionAttribute.After)) ?? 0)
                : null;

        protected override IEnumerable<(string Name, string Literal)> FormatSpec(LocalAttentionSpec local) => new[]
        {
            Argument(nameof(LocalAttentionAttribute.Heads), local.Heads), Argument(nameof(LocalAttentionAttribute.Block), local.Block),
            Argument(nameof(LocalAttentionAttribute.Before), local.Before), Argument(nameof(LocalAttentionAttribute.After), local.After),
        };

        protected override string Description(ModelSpec spec, LocalAttentionSpec pattern) =>
            $"{(spec.Causal ? "causal" : "bidirectional")} local attention in blocks of {Int(pattern.Block)}, each query seeing its block" +
            (pattern.Before > 0 ? $" and {Int(pattern.Before)} before" : "") +
            (!spec.Causal && pattern.After > 0 ? $" and {Int(pattern.After)} after" : "") +
            (spec.Causal ? " up to itself" : "");

        /// <summary>A causal local layer steps from the keys of the query's block and the Before blocks before it: constant size.</summary>
        public override StepStateDescription? StepState(ModelSpec spec, AttentionSpec attention) =>
            new("local attention", "Local attention layers", "the keys and values of the current block and the blocks before it that it reads", FixedSize: true);

        protected override IReadOnlyList<string> SeesStatements(ModelSpec spec, LocalAttentionSpec pattern)
        {
            var lines = CausalCheck(spec);
            lines.Add($"// Blocks of {Int(pattern.Block)}: the key's block is at most {Int(pattern.Before)} before the query's" +
                (spec.Causal ? "." : $" and at most {Int(pattern.After)} after it."));
            lines.Add($"int blocksApart = query / {Int(pattern.Block)} - key / {Int(pattern.Block)};");
            lines.Add($"return blocksApart <= {Int(pattern.Before)} && blocksApart >= {Int(spec.Causal ? 0 : -pattern.After)};");
            return lines;
        }
    }
}
