using XformerDsl.Generator.Emit.Kernels;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Attention
{
    /// <summary>
    /// A softmax family: its attend step calls the fused <c>Kernel</c> that <see cref="SoftmaxKernelEmitter"/> builds
    /// from the family's <see cref="SoftmaxSchedule"/>. Families that differ only in which keys a query sees (full,
    /// local, sliding window, BigBird, …) differ only in their schedule.
    /// </summary>
    internal abstract class SoftmaxAttentionEmitter : AttentionEmitter
    {
        public override bool HasOwnParameters => false;

        /// <summary>Which (query tile, key tile) pairs the declaration visits, and their masks.</summary>
        public abstract SoftmaxSchedule Schedule(ModelSpec spec, AttentionSpec attention);

        /// <summary>One comment line saying what the attention computes.</summary>
        protected abstract string Explanation(ModelSpec spec, AttentionSpec attention);

        public override void EmitAttend(SourceWriter writer, ModelSpec spec, AttentionSpec attention)
        {
            writer.WriteLine("// " + Explanation(spec, attention));
            writer.WriteLine($"// The fused kernel below ({SoftmaxKernelEmitter.ClassName}) runs it on the CPU; other devices and dtypes take the reference path.");
            writer.WriteLine($"var attended = {Names.FusedAttention}<{SoftmaxKernelEmitter.ClassName}>.Apply(q, k, v, keyPaddingMask);");
        }

        public override void EmitNestedTypes(SourceWriter writer, ModelSpec spec, AttentionSpec attention, string owner)
        {
            writer.WriteLine();
            SoftmaxKernelEmitter.Emit(writer, spec, attention, Schedule(spec, attention), owner);
        }
    }

    /// <summary><c>[FullAttention]</c>: every key, or every earlier key when causal.</summary>
    internal sealed class FullAttentionEmitter : SoftmaxAttentionEmitter
    {
        public override SoftmaxSchedule Schedule(ModelSpec spec, AttentionSpec attention) => new FullSchedule(spec.Causal);

        /// <summary>Causal full attention steps from a key-value cache (which grows with the position).</summary>
        public override bool IsRecurrent(ModelSpec spec, AttentionSpec attention) => spec.Causal;

        public override void EmitStepAttend(SourceWriter writer, ModelSpec spec, AttentionSpec attention)
        {
            writer.WriteLine("// Write the new key and value into this layer's cache at each sequence's position; the query attends keys 0..position.");
            writer.WriteLine("var attended = state.KeyValues(layer, Heads, HeadDim).Step(q, k, v, state.Positions);");
        }

        protected override string Explanation(ModelSpec spec, AttentionSpec attention) =>
            $"Attend: softmax(q kᵀ / √{SpecFormat.Int(spec.HeadDimOf(attention))}) v, {(spec.Causal ? "each query seeing itself and earlier keys" : "each query seeing every key")}; padded keys are hidden.";
    }
}
