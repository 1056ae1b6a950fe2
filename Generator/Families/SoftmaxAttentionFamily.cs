using XformerDsl.Generator.Emit;
using XformerDsl.Generator.Emit.Kernels;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary>
    /// A softmax family: its attend step calls the fused <c>Kernel</c> that <see cref="SoftmaxKernelEmitter"/> builds
    /// from the family's <see cref="SoftmaxSchedule"/>. Families that differ only in which keys a query sees (full,
    /// local, sliding window, BigBird, …) differ only in their schedule.
    /// </summary>
    internal abstract class SoftmaxAttentionFamily<TSpec, TAttribute> : AttentionFamily<TSpec, TAttribute>
        where TSpec : AttentionSpec
        where TAttribute : AttentionAttribute
    {
        protected override bool HasOwnParameters(ModelSpec spec, TSpec attention) => false;

        /// <summary>Which (query tile, key tile) pairs the declaration visits, and their masks.</summary>
        public abstract SoftmaxSchedule Schedule(ModelSpec spec, TSpec attention);

        /// <summary>One comment line saying what the attention computes.</summary>
        protected abstract string Explanation(ModelSpec spec, TSpec attention);

        protected override void EmitAttend(SourceWriter writer, ModelSpec spec, TSpec attention)
        {
            writer.WriteLine("// " + Explanation(spec, attention));
            writer.WriteLine($"// The fused kernel below ({SoftmaxKernelEmitter.ClassName}) runs it on the CPU; other devices and dtypes take the reference path.");
            writer.WriteLine($"var attended = {Names.FusedAttention}<{SoftmaxKernelEmitter.ClassName}>.Apply(q, k, v, keyPaddingMask);");
        }

        protected override void EmitNestedTypes(SourceWriter writer, ModelSpec spec, TSpec attention, string owner)
        {
            writer.WriteLine();
            SoftmaxKernelEmitter.Emit(writer, spec, attention, Schedule(spec, attention), owner);
        }
    }
}
