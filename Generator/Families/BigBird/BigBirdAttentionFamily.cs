using System.Collections.Generic;
using System.Linq;
using XformerDsl.Generator.Emit;
using XformerDsl.Generator.Emit.Kernels;
using XformerDsl.Generator.Parsing;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary><c>[BigBirdAttention]</c>: window, global and random blocks, the random layout drawn at compile time.</summary>
    internal sealed class BigBirdAttentionFamily : PatternAttentionFamily<BigBirdAttentionSpec, BigBirdAttentionAttribute>
    {
        protected override BigBirdAttentionSpec? ParseSpec(AttributeArguments arguments) =>
            (arguments.RequiredInt(nameof(BigBirdAttentionAttribute.Heads), SpecLimits.Heads), arguments.RequiredInt(nameof(BigBirdAttentionAttribute.Block), PatternLimits.Block)) is (int heads, int block)
                ? new BigBirdAttentionSpec(heads, block,
                    arguments.OptionalInt(nameof(BigBirdAttentionAttribute.WindowBlocks)) ?? BigBirdAttentionSpec.DefaultWindowBlocks,
                    arguments.OptionalInt(nameof(BigBirdAttentionAttribute.GlobalBlocks)) ?? BigBirdAttentionSpec.DefaultGlobalBlocks,
                    arguments.OptionalInt(nameof(BigBirdAttentionAttribute.RandomBlocks)) ?? BigBirdAttentionSpec.DefaultRandomBlocks,
                    arguments.OptionalInt(nameof(BigBirdAttentionAttribute.Seed)) ?? 0)
                : null;

        protected override IEnumerable<(string Name, string Literal)> FormatSpec(BigBirdAttentionSpec bigBird) => new[]
        {
            Argument(nameof(BigBirdAttentionAttribute.Heads), bigBird.Heads), Argument(nameof(BigBirdAttentionAttribute.Block), bigBird.Block),
            Argument(nameof(BigBirdAttentionAttribute.WindowBlocks), bigBird.WindowBlocks), Argument(nameof(BigBirdAttentionAttribute.GlobalBlocks), bigBird.GlobalBlocks),
            Argument(nameof(BigBirdAttentionAttribute.RandomBlocks), bigBird.RandomBlocks), Argument(nameof(BigBirdAttentionAttribute.Seed), bigBird.Seed),
        };

        /// <summary>
        /// A causal BigBird layer steps from the keys it can still read: the global blocks, the window, and every earlier
        /// block some later query block draws at random.
        /// </summary>
        public override StepStateDescription? StepState(ModelSpec spec, AttentionSpec attention) =>
            PatternStepEmitter.Growing("BigBird attention", "BigBird layers");

        protected override string Description(ModelSpec spec, BigBirdAttentionSpec pattern) =>
            $"{(spec.Causal ? "causal" : "bidirectional")} BigBird attention in blocks of {Int(pattern.Block)}: {Int(pattern.WindowBlocks)} window, {Int(pattern.GlobalBlocks)} global and {Int(pattern.RandomBlocks)} random blocks (seed {Int(pattern.Seed)})";

        // Drawing a block's random blocks checks each draw against those before it (quadratic), then sorts; the spec
        // keeps every draw, so this is paid once per block, and once more for the blocks that drew each (bidirectional).
        protected override long SetupSteps(ModelSpec spec, BigBirdAttentionSpec pattern)
        {
            long blocks = spec.MaxLength / System.Math.Max(1, pattern.Block);
            long drawn = System.Math.Min(pattern.RandomBlocks, System.Math.Max(1, blocks));
            // Each kept draw is an allocation and a concurrent-dictionary insertion: ten steps' worth.
            return (spec.Causal ? 1 : 2) * blocks * (drawn * drawn + drawn + 10) * 10;
        }

        // Sees and KeyRanges look up kept draws (a locked dictionary lookup, each search over RandomBlocks entries).
        protected override long StepsPerKeyRanges(ModelSpec spec, BigBirdAttentionSpec pattern) => 2;

        protected override long StepsPerSees(ModelSpec spec, BigBirdAttentionSpec pattern) => spec.Causal ? 2 : 4;

        // The random layout: an offset per block and the blocks each drew.
        protected override long ExtraEmittedEntries(ModelSpec spec, BigBirdAttentionSpec pattern)
        {
            long blocks = spec.MaxLength / System.Math.Max(1, pattern.Block);
            return blocks + 1 + blocks * System.Math.Min(pattern.RandomBlocks, blocks);
        }

        protected override IReadOnlyList<string> PatternMembers(ModelSpec spec, BigBirdAttentionSpec pattern)
        {
            int blocks = spec.MaxLength / pattern.Block;
            var drawn = Enumerable.Range(0, blocks).Select(block => pattern.RandomBlocksOf(block, spec.Causal)).ToList();
            var lines = new List<string>
            {
                $"/// <summary>The random layout, drawn by the generator from Seed = {Int(pattern.Seed)}: query block b drew blocks RandomBlocks[RandomOffsets[b] .. RandomOffsets[b + 1]).</summary>",
                "private static global::System.ReadOnlySpan<int> RandomOffsets => new int[]",
                "{",
            };
            var offsets = new List<int> { 0 };
            foreach (var list in drawn)
                offsets.Add(offsets[offsets.Count - 1] + list.Length);
            for (int i = 0; i < offsets.Count; i += 16)
                lines.Add("    " + string.Join(", ", offsets.Skip(i).Take(16).Select(o => Int(o))) + ",");
            lines.Add("};");
            lines.Add("");
            lines.Add("/// <summary>The blocks each query block drew, ascending (see RandomOffsets).</summary>");
            lines.Add("private static global::System.ReadOnlySpan<int> RandomBlocks => new int[]");
            lines.Add("{");
            for (int block = 0; block < blocks; block++)
                if (drawn[block].Length > 0)
                    lines.Add($"    {string.Join(", ", drawn[block].Select(b => Int(b)))}, // query block {Int(block)}");
            lines.Add("};");
            lines.Add("");
            lines.Add("/// <summary>True when query block <paramref name=\"queryBlock\"/> drew block <paramref name=\"block\"/>.</summary>");
            lines.Add("private static bool Drew(int queryBlock, int block)");
            lines.Add("{");
            lines.Add("    // Blocks past MaxLength (the columns of a last, partial tile) drew nothing.");
            lines.Add("    if (queryBlock >= RandomOffsets.Length - 1)");
            lines.Add("        return false;");
            lines.Add("    for (int i = RandomOffsets[queryBlock]; i < RandomOffsets[queryBlock + 1]; i++)");
            lines.Add("        if (RandomBlocks[i] == block)");
            lines.Add("            return true;");
            lines.Add("    return false;");
            lines.Add("}");
            lines.Add("");
            return lines;
        }

        protected override IReadOnlyList<string> SeesStatements(ModelSpec spec, BigBirdAttentionSpec pattern)
        {
            var lines = CausalCheck(spec);
            int block = pattern.Block;
            lines.Add($"int queryBlock = query / {Int(block)}, keyBlock = key / {Int(block)};");
            if (pattern.GlobalBlocks > 0)
            {
                lines.Add(spec.Causal
                    ? $"// The first {Int(pattern.GlobalBlocks)} blocks are global keys: every later query sees them."
                    : $"// The first {Int(pattern.GlobalBlocks)} blocks are global: they see every key, and every query sees them.");
                lines.Add(spec.Causal ? $"if (keyBlock < {Int(pattern.GlobalBlocks)})" : $"if (keyBlock < {Int(pattern.GlobalBlocks)} || queryBlock < {Int(pattern.GlobalBlocks)})");
                lines.Add("    return true;");
            }
            int before = pattern.WindowBefore(spec.Causal), after = spec.Causal ? 0 : pattern.WindowBlocks / 2;
            lines.Add($"// The window: {Int(before)} block{(before == 1 ? "" : "s")} before the query's own{(spec.Causal ? "" : $" and {Int(after)} after it")}.");
            lines.Add("int apart = queryBlock - keyBlock;");
            lines.Add($"if (apart >= {Int(-after)} && apart <= {Int(before)})");
            lines.Add("    return true;");
            lines.Add(spec.Causal
                ? "// The random blocks the query's block drew."
                : "// The random links, two-way: the query's block drew the key's, or the key's drew the query's.");
            lines.Add(spec.Causal ? "return Drew(queryBlock, keyBlock);" : "return Drew(queryBlock, keyBlock) || Drew(keyBlock, queryBlock);");
            return lines;
        }
    }
}
