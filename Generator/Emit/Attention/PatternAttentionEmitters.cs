using System.Collections.Generic;
using System.Linq;
using XformerDsl.Generator.Emit.Kernels;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Attention
{
    /// <summary>
    /// A pattern family: a softmax family whose schedule is a <see cref="BlockLayoutSchedule"/> built from the
    /// declaration's pattern. A family states its pattern twice, on purpose: as <see cref="PatternAttentionSpec.Sees"/>
    /// (the layout and the run-time reference) and as the emitted <c>Pattern.Sees</c> statements here (the element masks
    /// of the kernel), so the kernel tests compare two independent computations.
    /// </summary>
    internal abstract class PatternAttentionEmitter<TSpec> : SoftmaxAttentionEmitter where TSpec : PatternAttentionSpec
    {
        public sealed override SoftmaxSchedule Schedule(ModelSpec spec, AttentionSpec attention) =>
            new BlockLayoutSchedule(spec, (TSpec)attention, Description(spec, (TSpec)attention), SeesStatements(spec, (TSpec)attention), PatternMembers(spec, (TSpec)attention));

        /// <summary>Members of the emitted <c>Pattern</c> struct that its Sees statements use; none by default.</summary>
        protected virtual IReadOnlyList<string> PatternMembers(ModelSpec spec, TSpec pattern) => System.Array.Empty<string>();

        protected sealed override string Explanation(ModelSpec spec, AttentionSpec attention) =>
            $"Attend: softmax(q kᵀ / √{SpecFormat.Int(spec.HeadDimOf(attention))}) v over {Description(spec, (TSpec)attention)}; padded keys are hidden.";

        /// <summary>One phrase, e.g. <c>causal sliding-window attention over 256 keys</c>.</summary>
        protected abstract string Description(ModelSpec spec, TSpec pattern);

        /// <summary>The body of <c>static bool Sees(int query, int key)</c>.</summary>
        protected abstract IReadOnlyList<string> SeesStatements(ModelSpec spec, TSpec pattern);

        protected static string Int(long value) => SpecFormat.Int(value);

        // The first statements of Sees: in a causal model no query sees a later key.
        protected static List<string> CausalCheck(ModelSpec spec) =>
            spec.Causal ? new List<string> { "// Causal: no later key.", "if (key > query)", "    return false;" } : new List<string>();
    }

    /// <summary><c>[LocalAttention]</c>: the query's block and its neighbours.</summary>
    internal sealed class LocalAttentionEmitter : PatternAttentionEmitter<LocalAttentionSpec>
    {
        protected override string Description(ModelSpec spec, LocalAttentionSpec pattern) =>
            $"{(spec.Causal ? "causal" : "bidirectional")} local attention in blocks of {Int(pattern.Block)}, each query seeing its block" +
            (pattern.Before > 0 ? $" and {Int(pattern.Before)} before" : "") +
            (!spec.Causal && pattern.After > 0 ? $" and {Int(pattern.After)} after" : "") +
            (spec.Causal ? " up to itself" : "");

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

    /// <summary>
    /// <c>[SlidingWindowAttention]</c>: a (dilated) window around each query, plus global tokens. With a dilation per
    /// head, the heads form runs of equal dilation: each distinct dilation gets its own kernel (its own compile-time
    /// layout), the layer runs each run of heads through its kernel and puts the runs back together in head order.
    /// </summary>
    internal sealed class SlidingWindowAttentionEmitter : PatternAttentionEmitter<SlidingWindowAttentionSpec>
    {
        protected override string Description(ModelSpec spec, SlidingWindowAttentionSpec pattern) =>
            $"{(spec.Causal ? "causal" : "bidirectional")} sliding-window attention over {Int(pattern.Window)} keys" +
            pattern.DilationPhrase +
            (pattern.GlobalTokens > 0 ? $" with {Int(pattern.GlobalTokens)} global token{(pattern.GlobalTokens == 1 ? "" : "s")}" : "");

        /// <summary>The kernel class of the heads with dilation <paramref name="dilation"/>.</summary>
        private static string KernelFor(int dilation) => $"Dilation{Int(dilation)}Kernel";

        public override void EmitAttend(SourceWriter writer, ModelSpec spec, AttentionSpec attention)
        {
            var sliding = (SlidingWindowAttentionSpec)attention;
            if (sliding.Dilations is null)
            {
                base.EmitAttend(writer, spec, attention);
                return;
            }
            writer.WriteLine($"// Attend: softmax(q kᵀ / √{Int(spec.HeadDimOf(attention))}) v over {Description(spec, sliding)}; padded keys are hidden.");
            writer.WriteLine("// Each run of heads with one dilation goes through that dilation's fused kernel (see Attend below).");
            writer.WriteLine("var attended = Attend(q, k, v, keyPaddingMask);");
        }

        public override void EmitNestedTypes(SourceWriter writer, ModelSpec spec, AttentionSpec attention, string owner)
        {
            var sliding = (SlidingWindowAttentionSpec)attention;
            if (sliding.Dilations is null)
            {
                base.EmitNestedTypes(writer, spec, attention, owner);
                return;
            }
            var groups = sliding.HeadGroups();
            EmitAttendMethod(writer, groups);
            foreach (var group in groups.GroupBy(g => g.Pattern.Dilation).Select(g => g.First()))
            {
                int dilation = group.Pattern.Dilation;
                writer.WriteLine();
                writer.WriteLine($"// The kernel of the heads with dilation {Int(dilation)}: {string.Join(", ", groups.Where(g => g.Pattern.Dilation == dilation).Select(g => HeadRange(g.FirstHead, g.Heads)))}.");
                SoftmaxKernelEmitter.Emit(writer, spec, group.Pattern, Schedule(spec, group.Pattern), $"{owner} dilation {Int(dilation)}", KernelFor(dilation));
            }
        }

        private static void EmitAttendMethod(SourceWriter writer, IReadOnlyList<(int FirstHead, int Heads, SlidingWindowAttentionSpec Pattern)> groups)
        {
            string fused = Names.FusedAttention, tensor = Names.Tensor;
            writer.WriteLine();
            writer.WriteLine("/// <summary>");
            writer.WriteLine("/// The attention of split projections <c>[batch, Heads, seq, HeadDim]</c> with an optional bool <c>[batch, seq]</c>");
            writer.WriteLine("/// key-padding mask, each head with its own dilation: " + string.Join("; ", groups.Select(g => $"{HeadRange(g.FirstHead, g.Heads)} dilation {Int(g.Pattern.Dilation)}")) + ".");
            writer.WriteLine("/// </summary>");
            writer.WriteLine($"public static {tensor} Attend({tensor} q, {tensor} k, {tensor} v, {tensor}? keyPaddingMask)");
            writer.OpenBlock();
            if (groups.Count == 1)
            {
                writer.WriteLine($"return {fused}<{KernelFor(groups[0].Pattern.Dilation)}>.Apply(q, k, v, keyPaddingMask);");
                writer.CloseBlock();
                return;
            }
            writer.WriteLine($"return {Names.Torch}.cat(new[]");
            writer.OpenBlock();
            foreach (var (first, heads, pattern) in groups)
            {
                string Slice(string x) => $"{x}.narrow(1, {Int(first)}, {Int(heads)})";
                writer.WriteLine($"{fused}<{KernelFor(pattern.Dilation)}>.Apply({Slice("q")}, {Slice("k")}, {Slice("v")}, keyPaddingMask), // {HeadRange(first, heads)}");
            }
            writer.CloseBlock(", 1);");
            writer.CloseBlock();
        }

        private static string HeadRange(int first, int count) => count == 1 ? $"head {Int(first)}" : $"heads {Int(first)}–{Int(first + count - 1)}";

        protected override IReadOnlyList<string> SeesStatements(ModelSpec spec, SlidingWindowAttentionSpec pattern)
        {
            var lines = CausalCheck(spec);
            if (pattern.GlobalTokens > 0)
            {
                lines.Add(spec.Causal
                    ? $"// The first {Int(pattern.GlobalTokens)} positions are global keys: every later query sees them."
                    : $"// The first {Int(pattern.GlobalTokens)} positions are global: they see every key, and every query sees them.");
                lines.Add(spec.Causal
                    ? $"if (key < {Int(pattern.GlobalTokens)})"
                    : $"if (key < {Int(pattern.GlobalTokens)} || query < {Int(pattern.GlobalTokens)})");
                lines.Add("    return true;");
            }
            if (spec.Causal)
            {
                lines.Add($"// The window: {Int(pattern.Window)} keys ending at the query{(pattern.Dilation > 1 ? $", keys {Int(pattern.Dilation)} positions apart" : "")}.");
                lines.Add("int distance = query - key;");
                lines.Add(pattern.Dilation > 1
                    ? $"return distance < {Int((long)pattern.Window * pattern.Dilation)} && distance % {Int(pattern.Dilation)} == 0;"
                    : $"return distance < {Int(pattern.Window)};");
            }
            else
            {
                lines.Add($"// The window: {Int(pattern.HalfWindow)} keys on each side of the query and the query itself{(pattern.Dilation > 1 ? $", keys {Int(pattern.Dilation)} positions apart" : "")}.");
                lines.Add("int distance = global::System.Math.Abs(query - key);");
                lines.Add(pattern.Dilation > 1
                    ? $"return distance <= {Int((long)pattern.HalfWindow * pattern.Dilation)} && distance % {Int(pattern.Dilation)} == 0;"
                    : $"return distance <= {Int(pattern.HalfWindow)};");
            }
            return lines;
        }
    }

    /// <summary><c>[SparseAttention]</c>: the Sparse Transformer's strided or fixed pattern, both halves in every head.</summary>
    internal sealed class SparseAttentionEmitter : PatternAttentionEmitter<SparseAttentionSpec>
    {
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

    /// <summary><c>[BigBirdAttention]</c>: window, global and random blocks, the random layout drawn at compile time.</summary>
    internal sealed class BigBirdAttentionEmitter : PatternAttentionEmitter<BigBirdAttentionSpec>
    {
        protected override string Description(ModelSpec spec, BigBirdAttentionSpec pattern) =>
            $"{(spec.Causal ? "causal" : "bidirectional")} BigBird attention in blocks of {Int(pattern.Block)}: {Int(pattern.WindowBlocks)} window, {Int(pattern.GlobalBlocks)} global and {Int(pattern.RandomBlocks)} random blocks (seed {Int(pattern.Seed)})";

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
