using System.Collections.Generic;
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
            new BlockLayoutSchedule(spec, (TSpec)attention, Description(spec, (TSpec)attention), SeesStatements(spec, (TSpec)attention));

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

    /// <summary><c>[SlidingWindowAttention]</c>: a (dilated) window around each query, plus global tokens.</summary>
    internal sealed class SlidingWindowAttentionEmitter : PatternAttentionEmitter<SlidingWindowAttentionSpec>
    {
        protected override string Description(ModelSpec spec, SlidingWindowAttentionSpec pattern) =>
            $"{(spec.Causal ? "causal" : "bidirectional")} sliding-window attention over {Int(pattern.Window)} keys" +
            (pattern.Dilation > 1 ? $" dilated by {Int(pattern.Dilation)}" : "") +
            (pattern.GlobalTokens > 0 ? $" with {Int(pattern.GlobalTokens)} global token{(pattern.GlobalTokens == 1 ? "" : "s")}" : "");

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
