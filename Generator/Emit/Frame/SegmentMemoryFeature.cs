using System.Collections.Generic;
using System.Linq;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Frame
{
    /// <summary>
    /// Segment recurrence (<c>[SegmentRecurrence]</c>, Transformer-XL): the model's forward takes the stream's
    /// <c>SegmentMemory</c>, the stack hands each block its layer's memory and then adds the block's input to it (detached,
    /// the last Memory positions kept), and the attention sublayer receives the memory normalised as its own input (the
    /// reference normalises <c>[memory; segment]</c> together). The model also gets <c>CreateMemory</c> and the plain
    /// <c>forward(tokens, keyPaddingMask)</c> of a model without memory.
    /// </summary>
    internal sealed class SegmentMemoryFeature : FrameFeature
    {
        private const string SegmentMemory = "global::XformerDsl.Modules.SegmentMemory";
        private const string Interface = "global::XformerDsl.Modules.ISegmentRecurrentModel";

        public override bool AppliesTo(ModelSpec spec) => Declaration(spec) is not null;

        private static SegmentRecurrenceSpec? Declaration(ModelSpec spec) =>
            spec.Attention.Select(d => d.Attention).OfType<SegmentRecurrenceSpec>().FirstOrDefault();

        public override IEnumerable<string> Interfaces(ModelSpec spec)
        {
            yield return Interface;
        }

        // A step is a segment of one token: each layer's attention keeps its memory in the recurrent state, so the stack
        // and the block step as any single-stream model's.
        public override void EmitStepStack(SourceWriter writer, ModelSpec spec) => RecurrentEmitter.EmitLayerSteps(writer);

        public override void EmitBlockStep(SourceWriter writer, ModelSpec spec, string attention) =>
            RecurrentEmitter.EmitSingleStreamBlockStep(writer, spec, attention);

        public override void EmitMembers(SourceWriter writer, ModelSpec spec)
        {
            int memory = Declaration(spec)!.Memory;
            writer.WriteLine("/// <summary>");
            writer.WriteLine($"/// An empty memory for one stream of segments: pass it to <c>forward</c> with each segment in order, and each layer keeps");
            writer.WriteLine($"/// the last <paramref name=\"length\"/> positions it saw (Memory = {SpecFormat.Int(memory)} as declared; evaluation may keep more). Call");
            writer.WriteLine("/// <c>Reset</c> on it where a new document starts.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine("/// <param name=\"length\">The positions each layer keeps.</param>");
            writer.WriteLine($"public {SegmentMemory} CreateMemory(int length = {SpecFormat.Int(memory)}) => new(layers: {SpecFormat.Int(spec.Depth)}, length);");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Logits for one segment with no memory before it, <c>[batch, seq]</c> -> <c>[batch, seq, " + SpecFormat.Int(spec.Vocab) + "]</c>.</summary>");
            writer.WriteLine("/// <param name=\"tokens\">Token ids, <c>[batch, seq]</c>.</param>");
            writer.WriteLine("/// <param name=\"keyPaddingMask\">Null, or bool <c>[batch, seq]</c>: true for real tokens.</param>");
            writer.WriteLine($"public {Names.Tensor} forward({Names.Tensor} tokens, {Names.Tensor}? keyPaddingMask) => forward(tokens, keyPaddingMask, null);");
            writer.WriteLine();
        }

        public override IEnumerable<FrameParameter> ForwardParameters(ModelSpec spec)
        {
            yield return new FrameParameter($"{SegmentMemory}?", "memory",
                "Null (no memory), or the stream's memory from <c>CreateMemory</c>: every layer attends to it before the segment, and it is updated in place to end with this segment, without gradient.");
        }

        public override IEnumerable<FrameParameter> BlockParameters(ModelSpec spec)
        {
            yield return new FrameParameter($"{Names.Tensor}?", "layerMemory", $"Null, or the block's memory: its inputs over earlier positions, <c>[batch, memoryLength, {SpecFormat.Int(spec.Dim)}]</c>.");
        }

        // The attention sees the memory as it sees the segment: behind its norm when pre-norm, as it is when post-norm.
        public override void ArrangeSublayers(ModelSpec spec, IList<Sublayer> sublayers)
        {
            for (int i = 0; i < sublayers.Count; i++)
            {
                var sublayer = sublayers[i];
                if (sublayer.Field != "attn")
                    continue;
                string memory = spec.Normalization.Placement == NormPlacement.Pre
                    ? $"layerMemory is null ? null : {sublayer.Norm}.forward(layerMemory)"
                    : "layerMemory";
                sublayers[i] = sublayer with { Arguments = sublayer.Arguments + ", " + memory };
            }
        }

        public override bool RunsTheStack => true;

        public override void EmitStack(SourceWriter writer, ModelSpec spec, string blockArguments)
        {
            string depth = SpecFormat.Int(spec.Depth);
            writer.WriteLine($"memory?.Check({depth}, x, nameof({Names.Identifier(spec.Name)}));");
            writer.WriteLine("// Segment recurrence (Transformer-XL): each block attends to its memory before the segment, then its input joins the");
            writer.WriteLine("// memory, which keeps the last positions without gradient (stop-gradient) for the next segment.");
            writer.WriteLine($"for (int i = 0; i < {depth}; i++)");
            writer.OpenBlock();
            writer.WriteLine("var input = x;");
            writer.WriteLine($"x = layers[i].forward(x, {blockArguments.Replace("layerMemory", "memory?[i]")});");
            writer.WriteLine("memory?.Update(i, input);");
            writer.CloseBlock();
        }
    }
}
