using System.Collections.Generic;
using XformerDsl.Generator.Emit;
using XformerDsl.Generator.Emit.Kernels;
using XformerDsl.Generator.Parsing;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary><c>[FullAttention]</c>: every key, or every earlier key when causal.</summary>
    internal sealed class FullAttentionFamily : SoftmaxAttentionFamily<FullAttentionSpec, FullAttentionAttribute>
    {
        protected override FullAttentionSpec? ParseSpec(AttributeArguments arguments) =>
            arguments.RequiredInt(nameof(FullAttentionAttribute.Heads), SpecLimits.Heads) is int heads ? new FullAttentionSpec(heads) : null;

        protected override IEnumerable<(string Name, string Literal)> FormatSpec(FullAttentionSpec attention)
        {
            yield return Argument(nameof(FullAttentionAttribute.Heads), attention.Heads);
        }

        public override SoftmaxSchedule Schedule(ModelSpec spec, FullAttentionSpec attention) => new FullSchedule(spec.Causal);

        /// <summary>Causal full attention steps from a key-value cache (which grows with the position).</summary>
        protected override bool IsRecurrent(ModelSpec spec, FullAttentionSpec attention) => spec.Causal;

        public override StepStateDescription? StepState(ModelSpec spec, AttentionSpec attention) =>
            new("full attention", "Full attention layers", "a key-value cache that grows with the position", FixedSize: false);

        protected override void EmitStepAttend(SourceWriter writer, ModelSpec spec, FullAttentionSpec attention)
        {
            writer.WriteLine("// Write the new key and value into this layer's cache at each sequence's position; the query attends keys 0..position.");
            writer.WriteLine("var attended = state.KeyValues(layer, Heads, HeadDim).Step(q, k, v, state.Positions);");
        }

        protected override string Explanation(ModelSpec spec, FullAttentionSpec attention) =>
            $"Attend: softmax(q kᵀ / √{Int(spec.HeadDimOf(attention))}) v, {(spec.Causal ? "each query seeing itself and earlier keys" : "each query seeing every key")}; padded keys are hidden.";
    }
}
