using System.Collections.Generic;
using System.Linq;
using XformerDsl.Generator.Emit;
using XformerDsl.Generator.Emit.Kernels;
using XformerDsl.Generator.Parsing;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary>
    /// <c>[SlidingWindowAttention]</c>: a (dilated) window around each query, plus global tokens. With a dilation per
    /// head, the heads form runs of equal dilation: each distinct dilation gets its own kernel (its own compile-time
    /// layout), the layer runs each run of heads through its kernel and puts the runs back together in head order.
    /// </summary>
    internal sealed class SlidingWindowAttentionFamily : PatternAttentionFamily<SlidingWindowAttentionSpec, SlidingWindowAttentionAttribute>
    {
        protected override SlidingWindowAttentionSpec? ParseSpec(AttributeArguments arguments) =>
            (arguments.RequiredInt(nameof(SlidingWindowAttentionAttribute.Heads), SpecLimits.Heads), arguments.RequiredInt(nameof(SlidingWindowAttentionAttribute.Window), PatternLimits.Window)) is (int heads, int window)
                ? new SlidingWindowAttentionSpec(heads, window,
                    arguments.OptionalInt(nameof(SlidingWindowAttentionAttribute.Dilation)) ?? 1,
                    arguments.OptionalInt(nameof(SlidingWindowAttentionAttribute.GlobalTokens)) ?? 0,
                    arguments.IntArray(nameof(SlidingWindowAttentionAttribute.Dilations)))
                : null;

        // Dilations in place of Dilation when declared, so declarations without it read as before.
        protected override IEnumerable<(string Name, string Literal)> FormatSpec(SlidingWindowAttentionSpec sliding) => sliding.Dilations is { } perHead
            ? new[]
            {
                Argument(nameof(SlidingWindowAttentionAttribute.Heads), sliding.Heads), Argument(nameof(SlidingWindowAttentionAttribute.Window), sliding.Window),
                Argument(nameof(SlidingWindowAttentionAttribute.GlobalTokens), sliding.GlobalTokens), Argument(nameof(SlidingWindowAttentionAttribute.Dilations), perHead),
            }
            : new[]
            {
                Argument(nameof(SlidingWindowAttentionAttribute.Heads), sliding.Heads), Argument(nameof(SlidingWindowAttentionAttribute.Window), sliding.Window),
                Argument(nameof(SlidingWindowAttentionAttribute.Dilation), sliding.Dilation), Argument(nameof(SlidingWindowAttentionAttribute.GlobalTokens), sliding.GlobalTokens),
            };

        /// <summary>Each distinct dilation of the heads has its own kernel and layout.</summary>
        protected override IEnumerable<PatternAttentionSpec> LaidOutPatterns(SlidingWindowAttentionSpec sliding) =>
            sliding.HeadGroups().Select(group => (PatternAttentionSpec)group.Kind).Distinct();

        protected override string Description(ModelSpec spec, SlidingWindowAttentionSpec pattern) =>
            $"{(spec.Causal ? "causal" : "bidirectional")} sliding-window attention over {Int(pattern.Window)} keys" +
            pattern.DilationPhrase +
            (pattern.GlobalTokens > 0 ? $" with {Int(pattern.GlobalTokens)} global token{(pattern.GlobalTokens == 1 ? "" : "s")}" : "");

        /// <summary>
        /// A causal window steps from a ring of the last (Window − 1) · Dilation + 1 keys (the widest head's span: every key
        /// in it is read by some later query) plus the global tokens' keys, which every later query reads: constant size.
        /// </summary>
        public override StepStateDescription? StepState(ModelSpec spec, AttentionSpec attention) =>
            new("a sliding window", "Sliding-window layers", "a ring of the window's keys and values and the global tokens'", FixedSize: true);

        /// <summary>The kernel class of the heads with dilation <paramref name="dilation"/>.</summary>
        private static string KernelFor(int dilation) => $"Dilation{Int(dilation)}Kernel";

        protected override void EmitAttend(SourceWriter writer, ModelSpec spec, SlidingWindowAttentionSpec sliding)
        {
            if (sliding.Dilations is null)
            {
                base.EmitAttend(writer, spec, sliding);
                return;
            }
            writer.WriteLine($"// Attend: softmax(q kᵀ / √{Int(spec.HeadDimOf(sliding))}) v over {Description(spec, sliding)}; padded keys are hidden.");
            writer.WriteLine("// Each run of heads with one dilation goes through that dilation's fused kernel (see Attend below).");
            writer.WriteLine("var attended = Attend(q, k, v, keyPaddingMask);");
        }

        protected override void EmitNestedTypes(SourceWriter writer, ModelSpec spec, SlidingWindowAttentionSpec sliding, string owner)
        {
            if (sliding.Dilations is null)
            {
                base.EmitNestedTypes(writer, spec, sliding, owner);
                return;
            }
            var groups = sliding.HeadGroups();
            EmitAttendMethod(writer, groups);
            foreach (var group in groups.GroupBy(g => g.Kind.Dilation).Select(g => g.First()))
            {
                int dilation = group.Kind.Dilation;
                writer.WriteLine();
                writer.WriteLine($"// The kernel of the heads with dilation {Int(dilation)}: {string.Join(", ", groups.Where(g => g.Kind.Dilation == dilation).Select(g => g.Range))}.");
                SoftmaxKernelEmitter.Emit(writer, spec, group.Kind, Schedule(spec, group.Kind), $"{owner} dilation {Int(dilation)}", KernelFor(dilation));
            }
        }

        private static void EmitAttendMethod(SourceWriter writer, IReadOnlyList<HeadGroup<SlidingWindowAttentionSpec>> groups)
        {
            string fused = Names.FusedAttention, tensor = Names.Tensor;
            writer.WriteLine();
            writer.WriteLine("/// <summary>");
            writer.WriteLine("/// The attention of split projections <c>[batch, Heads, seq, HeadDim]</c> with an optional bool <c>[batch, seq]</c>");
            writer.WriteLine("/// key-padding mask, each head with its own dilation: " + string.Join("; ", groups.Select(g => $"{g.Range} dilation {Int(g.Kind.Dilation)}")) + ".");
            writer.WriteLine("/// </summary>");
            writer.WriteLine($"public static {tensor} Attend({tensor} q, {tensor} k, {tensor} v, {tensor}? keyPaddingMask)");
            writer.OpenBlock();
            if (groups.Count == 1)
            {
                writer.WriteLine($"return {fused}<{KernelFor(groups[0].Kind.Dilation)}>.Apply(q, k, v, keyPaddingMask);");
                writer.CloseBlock();
                return;
            }
            HeadGroupSlices.EmitReturnJoined(writer, groups.Select(group =>
            {
                string Slice(string x) => HeadGroupSlices.Narrow(x, Int(group.FirstHead), Int(group.Heads));
                return ($"{fused}<{KernelFor(group.Kind.Dilation)}>.Apply({Slice("q")}, {Slice("k")}, {Slice("v")}, keyPaddingMask)", group.Range);
            }));
            writer.CloseBlock();
        }

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
}
