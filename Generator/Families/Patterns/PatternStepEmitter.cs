using XformerDsl.Generator.Emit;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary>
    /// The causal step of the pattern families (local, sliding window, sparse, BigBird, axial): one runtime mechanism,
    /// <c>PatternStep</c> (which keys each position's query reads, and the cache slot each key takes until no later
    /// query reads it) over a <c>PatternKeyValueCache</c>, built from the declaration's compile-time pattern.
    /// </summary>
    internal static class PatternStepEmitter
    {
        private const string PatternStep = "global::XformerDsl.Attention.Patterns.PatternStep";

        /// <summary>The attention class's static <c>StepPattern</c>, from the declaration (causal models only).</summary>
        public static void EmitField(SourceWriter writer, ModelSpec spec, AttentionSpec attention)
        {
            if (!spec.Causal)
                return;
            writer.WriteLine();
            writer.WriteLine("// The causal step's plan: which keys each position's query reads, and which cache slot each key holds until no later query reads it.");
            writer.WriteLine($"private static readonly {PatternStep} StepPattern = {PatternStep}.Of({ModelCardEmitter.AttentionLiteral(attention)}, maxLength: {SpecFormat.Int(spec.MaxLength)});");
        }

        /// <summary>The step's <c>attended</c>, from the layer's pattern cache.</summary>
        public static void EmitStepAttend(SourceWriter writer)
        {
            writer.WriteLine("// Write the new key and value into the slot its position takes in this layer's cache (a key no later query reads");
            writer.WriteLine("// was there); the query attends the cached keys its pattern sees.");
            writer.WriteLine("var attended = state.Pattern(layer, HeadDim, StepPattern).Step(q, k, v, state.Positions);");
        }

        /// <summary>What a pattern layer whose cache grows keeps between steps.</summary>
        public static StepStateDescription Growing(string attends, string layers) =>
            new(attends, layers, "a cache of the keys and values its pattern can still read, which grows with the position", FixedSize: false);
    }
}
