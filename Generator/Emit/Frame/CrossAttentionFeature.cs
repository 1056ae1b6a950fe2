using System.Collections.Generic;
using System.Linq;
using XformerDsl.Generator.Emit.Kernels;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Frame
{
    /// <summary>
    /// The decoder of an encoder–decoder (<see cref="ModelSpec.CrossAttention"/>): its forward and every block take the
    /// encoder's output <c>memory</c> and the source padding mask, and each block has a cross-attention sublayer between
    /// self-attention and feed-forward (Vaswani et al., 2017, §3.2.3): queries from the target stream, keys and values
    /// from the memory, every target position seeing every real source position. It runs on a generated fused kernel,
    /// bidirectional full attention with queries and keys of different lengths and the source padding as key padding.
    /// </summary>
    internal sealed class CrossAttentionFeature : FrameFeature
    {
        public const string ClassName = "CrossAttention";

        public override bool AppliesTo(ModelSpec spec) => spec.CrossAttention is not null;

        private static IEnumerable<FrameParameter> MemoryParameters(ModelSpec spec)
        {
            yield return new FrameParameter(Names.Tensor, "memory", $"The encoder's output, <c>[batch, sourceSeq, {SpecFormat.Int(spec.Dim)}]</c>.");
            yield return new FrameParameter($"{Names.Tensor}?", "memoryPaddingMask", "Null, or bool <c>[batch, sourceSeq]</c>, true for real source tokens; padded ones are hidden from cross-attention.");
        }

        public override IEnumerable<FrameParameter> ForwardParameters(ModelSpec spec) => MemoryParameters(spec);

        public override IEnumerable<FrameParameter> BlockParameters(ModelSpec spec) => MemoryParameters(spec);

        public override void ArrangeSublayers(ModelSpec spec, IList<Sublayer> sublayers)
        {
            int attention = 0;
            while (attention < sublayers.Count && sublayers[attention].Field != "attn")
                attention++;
            sublayers.Insert(attention + 1, new Sublayer("cross_attn", ClassName, $"new {ClassName}()", "memory, memoryPaddingMask", "cross-attention to the encoder's output"));
        }


        public override void EmitNestedTypes(SourceWriter writer, ModelSpec spec)
        {
            var cross = spec.CrossAttention!;
            var attention = new FullAttentionSpec(cross.Heads);
            int headDim = spec.HeadDimOf(attention);
            writer.WriteLine();
            writer.WriteLine($"/// <summary>Multi-head cross-attention: queries from the target, keys and values from the encoder's output; {SpecFormat.Int(cross.Heads)} head{(cross.Heads == 1 ? "" : "s")} of size {SpecFormat.Int(headDim)}, full.</summary>");
            writer.WriteLine($"public sealed class {ClassName} : {Names.ModuleBase}");
            writer.OpenBlock();
            writer.WriteLine($"private const int Heads = {SpecFormat.Int(cross.Heads)};");
            writer.WriteLine($"private const int HeadDim = {SpecFormat.Int(headDim)};");
            writer.WriteLine();
            foreach (var projection in Projections)
                writer.WriteLine($"private readonly {Names.Linear} {projection};");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Creates the projections q_proj (of the target), k_proj and v_proj (of the encoder's output) and out_proj.</summary>");
            writer.WriteLine($"public {ClassName}() : base(nameof({ClassName}))");
            writer.OpenBlock();
            foreach (var projection in Projections)
                writer.WriteLine($"{projection} = {LayerFactories.LinearCreate(spec, spec.Dim, spec.Dim)};");
            writer.WriteLine("RegisterComponents();");
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine("internal void InitializeWeights()");
            writer.OpenBlock();
            LayerFactories.EmitProjectionInitialization(writer, spec, Projections.Take(3), "out_proj");
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine($"/// <summary>Maps <c>[batch, seq, {SpecFormat.Int(spec.Dim)}]</c> to <c>[batch, seq, {SpecFormat.Int(spec.Dim)}]</c>, attending to <paramref name=\"memory\"/>.</summary>");
            writer.WriteLine("/// <param name=\"x\">The normalised target stream.</param>");
            FrameParameter.EmitDocumentation(writer, MemoryParameters(spec));
            writer.WriteLine($"public {Names.Tensor} forward({Names.Tensor} x, {FrameParameter.Declarations(MemoryParameters(spec))})");
            writer.OpenBlock();
            writer.WriteLine("long batch = x.shape[0], seq = x.shape[1], sourceSeq = memory.shape[1];");
            writer.WriteLine($"// Queries from the target, keys and values from the encoder's output, split into heads: [batch, {SpecFormat.Int(cross.Heads)}, seq or sourceSeq, {SpecFormat.Int(headDim)}].");
            writer.WriteLine("var q = q_proj.forward(x).view(batch, seq, Heads, HeadDim).transpose(1, 2);");
            writer.WriteLine("var k = k_proj.forward(memory).view(batch, sourceSeq, Heads, HeadDim).transpose(1, 2);");
            writer.WriteLine("var v = v_proj.forward(memory).view(batch, sourceSeq, Heads, HeadDim).transpose(1, 2);");
            writer.WriteLine($"// Attend: softmax(q kᵀ / √{SpecFormat.Int(headDim)}) v, every target position seeing every real source position.");
            writer.WriteLine($"// The fused kernel below ({SoftmaxKernelEmitter.ClassName}) runs it on the CPU; other devices and dtypes take the reference path.");
            writer.WriteLine($"var attended = {Names.FusedAttention}<{SoftmaxKernelEmitter.ClassName}>.Apply(q, k, v, memoryPaddingMask);");
            writer.WriteLine($"// Merge the heads: [batch, {SpecFormat.Int(cross.Heads)}, seq, {SpecFormat.Int(headDim)}] -> [batch, seq, {SpecFormat.Int(spec.Dim)}].");
            writer.WriteLine("var merged = attended.transpose(1, 2).reshape(batch, seq, Heads * HeadDim);");
            writer.WriteLine(LayerFactories.ReturnOutputProjection(spec, "merged"));
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine($"/// <summary>The keys and values of <paramref name=\"memory\"/>, <c>[batch, {SpecFormat.Int(cross.Heads)}, sourceSeq, {SpecFormat.Int(headDim)}]</c> each: computed once per source for generation.</summary>");
            writer.WriteLine("/// <param name=\"memory\">The encoder's output.</param>");
            writer.WriteLine($"internal {RecurrentEmitter.CrossKeyValues} KeyValues({Names.Tensor} memory)");
            writer.OpenBlock();
            writer.WriteLine("long batch = memory.shape[0], sourceSeq = memory.shape[1];");
            writer.WriteLine("return new(");
            writer.Indented(() =>
            {
                writer.WriteLine("k_proj.forward(memory).view(batch, sourceSeq, Heads, HeadDim).transpose(1, 2).contiguous(),");
                writer.WriteLine("v_proj.forward(memory).view(batch, sourceSeq, Heads, HeadDim).transpose(1, 2).contiguous());");
            });
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine($"/// <summary>Cross-attention for one new target token per sequence, <c>[batch, 1, {SpecFormat.Int(spec.Dim)}]</c>, from the keys and values in <paramref name=\"state\"/>.</summary>");
            writer.WriteLine("/// <param name=\"x\">The normalised target stream at the new token.</param>");
            writer.WriteLine("/// <param name=\"state\">The decoder's state, holding this layer's keys and values and the source padding mask.</param>");
            writer.WriteLine("/// <param name=\"layer\">This layer's number.</param>");
            writer.WriteLine($"public {Names.Tensor} Step({Names.Tensor} x, {RecurrentEmitter.DecoderState} state, int layer)");
            writer.OpenBlock();
            writer.WriteLine("long batch = x.size(0);");
            writer.WriteLine($"var q = {LayerFactories.StepLinear("q_proj", "x")}.view(batch, 1, Heads, HeadDim).transpose(1, 2);");
            writer.WriteLine("var keyValues = state.CrossKeyValues(layer, _ => throw new global::System.InvalidOperationException($\"The decoder state has no cross-attention keys for layer {layer}; create it with CreateState.\"));");
            writer.WriteLine($"var attended = {Names.FusedAttention}<{SoftmaxKernelEmitter.ClassName}>.Apply(q, keyValues.Keys, keyValues.Values, state.SourcePaddingMask);");
            writer.WriteLine("var merged = attended.transpose(1, 2).reshape(batch, 1, Heads * HeadDim);");
            writer.WriteLine(LayerFactories.ReturnOutputProjection(spec, "merged", step: true));
            writer.CloseBlock();
            writer.WriteLine();
            // The kernel covers targets and sources alike: tiles sized for the longer, no causal mask.
            var kernelSpec = spec with { Causal = false, MaxLength = System.Math.Max(spec.MaxLength, cross.SourceMaxLength) };
            SoftmaxKernelEmitter.Emit(writer, kernelSpec, attention, new FullSchedule(causal: false), spec.Name + "." + ClassName);
            writer.CloseBlock();
        }

        private static readonly string[] Projections = { "q_proj", "k_proj", "v_proj", "out_proj" };
    }
}
