using System.Collections.Generic;
using System.Linq;
using XformerDsl.Generator.Families;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Frame
{
    /// <summary>
    /// Segment recurrence (<c>[SegmentRecurrence]</c>, Transformer-XL): the model's forward takes the stream's
    /// <c>SegmentMemory</c>, the stack hands each block its layer's memory and then adds the block's input to it (detached,
    /// the last Memory positions kept), and the attention sublayer receives the memory normalised as its own input (the
    /// reference normalises <c>[memory; segment]</c> together). The model also gets <c>CreateMemory</c> and the plain
    /// <c>forward(tokens, keyPaddingMask)</c> of a model without memory.
    /// The Compressive Transformer (<c>Compressed</c> &gt; 0) adds, per layer, a compression function the model owns
    /// (<c>memory_compression.{layer}</c>) and a compressed memory: the stack hands each block <c>[compressed; memory]</c>,
    /// compresses the positions that leave the memory and appends the slots, and, when the compression is a convolution,
    /// sums the layers' attention-reconstruction losses into the model's auxiliary loss (<c>IAuxiliaryLossSource</c>),
    /// which trains the compression functions only. Its model's <c>Step</c> keeps each layer's step state in the stack, as its
    /// forward keeps the <c>SegmentMemory</c>: the state holds the blocks' inputs before their norm, which the compression takes.
    /// </summary>
    internal sealed class SegmentMemoryFeature : FrameFeature
    {
        private const string SegmentMemory = "global::XformerDsl.Modules.SegmentMemory";
        private const string Interface = "global::XformerDsl.Modules.ISegmentRecurrentModel";
        private const string AuxiliaryLossSource = "global::XformerDsl.Training.IAuxiliaryLossSource";
        private const string AuxiliaryLossSlot = "global::XformerDsl.Training.AuxiliaryLossSlot";
        private const string MemoryCompressor = "global::XformerDsl.Modules.MemoryCompressor";
        private const string AttentionReconstruction = "global::XformerDsl.Modules.AttentionReconstruction";
        private const string CompressionFunctionType = "global::XformerDsl.CompressionFunction";

        public override bool AppliesTo(ModelSpec spec) => Declaration(spec) is not null;

        private static SegmentRecurrenceSpec? Declaration(ModelSpec spec) =>
            spec.Attention.Select(d => d.Attention).OfType<SegmentRecurrenceSpec>().FirstOrDefault();

        // A learned compression (a convolution) is trained by the attention-reconstruction loss; pooling has nothing to train,
        // so a pooled model computes no such loss.
        private static bool TrainsCompression(ModelSpec spec) => Declaration(spec) is { IsCompressive: true, Compression: CompressionFunction.Convolution };

        public override IEnumerable<string> Interfaces(ModelSpec spec)
        {
            yield return Interface;
            if (TrainsCompression(spec))
                yield return AuxiliaryLossSource;
        }

        public override void EmitFields(SourceWriter writer, ModelSpec spec)
        {
            if (Declaration(spec) is not { IsCompressive: true } attention)
                return;
            writer.WriteLine($"// Compressive Transformer: each layer's compression function, {SpecFormat.Int(attention.CompressionRatio)} positions that leave its memory -> one slot ({SpecFormat.Enum(attention.Compression)}).");
            writer.WriteLine($"private readonly {Names.TorchModules}.ModuleList<{MemoryCompressor}> memory_compression;");
            if (!TrainsCompression(spec))
                return;
            writer.WriteLine("// The weighted attention-reconstruction loss of the last forward, until the trainer takes it.");
            writer.WriteLine($"private readonly {AuxiliaryLossSlot} reconstruction_loss = new();");
        }

        public override void EmitConstruction(SourceWriter writer, ModelSpec spec)
        {
            if (Declaration(spec) is not { IsCompressive: true } attention)
                return;
            string depth = SpecFormat.Int(spec.Depth);
            writer.WriteLine($"// One compression function per layer, registered as memory_compression.0 ... memory_compression.{SpecFormat.Int(spec.Depth - 1)}.");
            writer.WriteLine($"memory_compression = new {Names.TorchModules}.ModuleList<{MemoryCompressor}>();");
            writer.WriteLine($"for (int i = 0; i < {depth}; i++)");
            writer.Indented(() => writer.WriteLine(
                $"memory_compression.Add(new {MemoryCompressor}({CompressionFunctionType}.{SpecFormat.Enum(attention.Compression)}, dim: {SpecFormat.Int(spec.Dim)}, ratio: {SpecFormat.Int(attention.CompressionRatio)}, bias: {SpecFormat.Bool(spec.Bias)}));"));
        }

        public override void EmitInitialization(SourceWriter writer, ModelSpec spec)
        {
            if (Declaration(spec) is not { IsCompressive: true, Compression: CompressionFunction.Convolution })
                return;
            writer.WriteLine("// Each compression convolution starts as the mean of its slot plus N(0, 0.02) noise.");
            writer.WriteLine("foreach (var compressor in memory_compression)");
            writer.Indented(() => writer.WriteLine("compressor.InitializeWeights();"));
        }

        // A step is a segment of one token. Transformer-XL: each layer's attention keeps its memory in the recurrent state, so
        // the stack and the block step as any single-stream model's. A Compressive Transformer compresses the blocks' inputs
        // as forward does, so its stack keeps each layer's state, as its forward keeps the SegmentMemory.
        public override void EmitStepStack(SourceWriter writer, ModelSpec spec)
        {
            if (Declaration(spec) is not { IsCompressive: true } attention)
            {
                RecurrentEmitter.EmitLayerSteps(writer);
                return;
            }
            string ratio = SpecFormat.Int(attention.CompressionRatio);
            writer.WriteLine("// Compressive Transformer: each block attends over its layer's compressed slots, memory and new token, which the state");
            writer.WriteLine($"// keeps per sequence; then the token's input joins the memory, and where a sequence's memory reaches {SpecFormat.Int(attention.Memory + attention.CompressionRatio)} positions");
            writer.WriteLine($"// (Memory + CompressionRatio), its oldest {ratio} are compressed into a slot that joins its compressed memory (the last {SpecFormat.Int(attention.Compressed)}).");
            writer.WriteLine("for (int i = 0; i < layers.Count; i++)");
            writer.OpenBlock();
            writer.WriteLine($"var memory = state.Layer(i, s => new {SegmentRecurrenceFamily.MemoryStepState}(s.Batch, length: {SpecFormat.Int(attention.Memory)}, compressedLength: {SpecFormat.Int(attention.Compressed)}, ratio: {ratio}, dim: {SpecFormat.Int(spec.Dim)}, s.Device, s.DType));");
            writer.WriteLine("var input = x;");
            writer.WriteLine("x = layers[i].Step(x, memory);");
            writer.WriteLine("memory.Push(input, state.Active, memory_compression[i]);");
            writer.CloseBlock();
        }

        public override void EmitBlockStep(SourceWriter writer, ModelSpec spec, string attention)
        {
            if (Declaration(spec) is not { IsCompressive: true })
            {
                RecurrentEmitter.EmitSingleStreamBlockStep(writer, spec, attention);
                return;
            }
            string dim = SpecFormat.Int(spec.Dim);
            writer.WriteLine();
            writer.WriteLine($"/// <summary>The recurrent form of forward for one new token per sequence: <c>[batch, 1, {dim}]</c> to <c>[batch, 1, {dim}]</c>.</summary>");
            writer.WriteLine("/// <param name=\"x\">The residual stream at the new token.</param>");
            writer.WriteLine("/// <param name=\"memory\">This layer's part of the model's recurrent state: each sequence's inputs to this block, and their compressed slots.</param>");
            writer.WriteLine($"public {Names.Tensor} Step({Names.Tensor} x, {SegmentRecurrenceFamily.MemoryStepState} memory)");
            writer.OpenBlock();
            writer.WriteLine("// A segment of one token: keys and values over [compressed; memory; token], the slots a sequence has not filled yet masked.");
            writer.WriteLine("var (context, keyPaddingMask) = memory.Context(x);");
            if (spec.Normalization.Placement == NormPlacement.Pre)
            {
                writer.WriteLine($"x = x + {attention}.Step(attn_norm.forward(x), attn_norm.forward(context), keyPaddingMask);");
                writer.WriteLine("x = x + ffn.Step(ffn_norm.forward(x));");
            }
            else
            {
                writer.WriteLine($"x = attn_norm.forward(x + {attention}.Step(x, context, keyPaddingMask));");
                writer.WriteLine("x = ffn_norm.forward(x + ffn.Step(x));");
            }
            writer.WriteLine("return x;");
            writer.CloseBlock();
        }

        public override void EmitMembers(SourceWriter writer, ModelSpec spec)
        {
            var declaration = Declaration(spec)!;
            if (declaration.IsCompressive)
                EmitCompressiveMembers(writer, spec, declaration);
            else
                EmitCreateMemory(writer, spec, declaration.Memory);
            writer.WriteLine("/// <summary>Logits for one segment with no memory before it, <c>[batch, seq]</c> -> <c>[batch, seq, " + SpecFormat.Int(spec.Vocab) + "]</c>.</summary>");
            writer.WriteLine("/// <param name=\"tokens\">Token ids, <c>[batch, seq]</c>.</param>");
            writer.WriteLine("/// <param name=\"keyPaddingMask\">Null, or bool <c>[batch, seq]</c>: true for real tokens.</param>");
            writer.WriteLine($"public {Names.Tensor} forward({Names.Tensor} tokens, {Names.Tensor}? keyPaddingMask) => forward(tokens, keyPaddingMask, null);");
            writer.WriteLine();
        }

        private static void EmitCreateMemory(SourceWriter writer, ModelSpec spec, int memory)
        {
            writer.WriteLine("/// <summary>");
            writer.WriteLine($"/// An empty memory for one stream of segments: pass it to <c>forward</c> with each segment in order, and each layer keeps");
            writer.WriteLine($"/// the last <paramref name=\"length\"/> positions it saw (Memory = {SpecFormat.Int(memory)} as declared; evaluation may keep more). Call");
            writer.WriteLine("/// <c>Reset</c> on it where a new document starts.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine("/// <param name=\"length\">The positions each layer keeps.</param>");
            writer.WriteLine($"public {SegmentMemory} CreateMemory(int length = {SpecFormat.Int(memory)}) => new(layers: {SpecFormat.Int(spec.Depth)}, length);");
            writer.WriteLine();
        }

        // CreateMemory with the compressed slots, the interface's one-argument form, and the auxiliary loss.
        private static void EmitCompressiveMembers(SourceWriter writer, ModelSpec spec, SegmentRecurrenceSpec attention)
        {
            string memory = SpecFormat.Int(attention.Memory), compressed = SpecFormat.Int(attention.Compressed), ratio = SpecFormat.Int(attention.CompressionRatio);
            writer.WriteLine("/// <summary>");
            writer.WriteLine("/// An empty memory for one stream of segments: pass it to <c>forward</c> with each segment in order. Each layer keeps the last");
            writer.WriteLine($"/// <paramref name=\"length\"/> positions it saw (Memory = {memory} as declared), and the last <paramref name=\"compressed\"/> slots");
            writer.WriteLine($"/// of {ratio} positions each that left them (Compressed = {compressed}); evaluation may keep more or fewer. Call <c>Reset</c> on it");
            writer.WriteLine("/// where a new document starts.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine("/// <param name=\"length\">The positions each layer keeps.</param>");
            writer.WriteLine("/// <param name=\"compressed\">The compressed slots each layer keeps.</param>");
            writer.WriteLine($"public {SegmentMemory} CreateMemory(int length = {memory}, int compressed = {compressed}) => new(layers: {SpecFormat.Int(spec.Depth)}, length, compressed, ratio: {ratio});");
            writer.WriteLine();
            writer.WriteLine($"{SegmentMemory} {Interface}.CreateMemory(int length) => CreateMemory(length);");
            writer.WriteLine();
            if (attention.Compression == CompressionFunction.Convolution)
                EmitTakeAuxiliaryLoss(writer, attention);
        }

        private static void EmitTakeAuxiliaryLoss(SourceWriter writer, SegmentRecurrenceSpec attention)
        {
            writer.WriteLine("/// <summary>");
            writer.WriteLine($"/// The attention-reconstruction loss of the last training forward, summed over the layers and weighted by ReconstructionWeight = {SpecFormat.Double(attention.ReconstructionWeight)},");
            writer.WriteLine("/// or null; its gradient reaches the compression functions only. The trainer adds it to the language model's loss.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine($"public {Names.Tensor}? TakeAuxiliaryLoss() => reconstruction_loss.Take();");
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
            if (Declaration(spec) is { IsCompressive: true } compressive)
            {
                EmitCompressiveStack(writer, compressive, depth, blockArguments);
                return;
            }
            writer.WriteLine("// Segment recurrence (Transformer-XL): each block attends to its memory before the segment, then its input joins the");
            writer.WriteLine("// memory, which keeps the last positions without gradient (stop-gradient) for the next segment.");
            writer.WriteLine($"for (int i = 0; i < {depth}; i++)");
            writer.OpenBlock();
            writer.WriteLine("var input = x;");
            writer.WriteLine($"x = layers[i].forward(x, {blockArguments.Replace("layerMemory", "memory?[i]")});");
            writer.WriteLine("memory?.Update(i, input);");
            writer.CloseBlock();
        }

        private static void EmitCompressiveStack(SourceWriter writer, SegmentRecurrenceSpec attention, string depth, string blockArguments)
        {
            string ratio = SpecFormat.Int(attention.CompressionRatio);
            bool trains = attention.Compression == CompressionFunction.Convolution;
            writer.WriteLine("// Compressive Transformer: each block attends to its compressed slots and its memory before the segment, then its input");
            writer.WriteLine($"// joins the memory; the positions that leave it, {ratio} at a time, are compressed into slots that join the compressed memory.");
            writer.WriteLine(trains
                ? "// Both keep their last positions without gradient; the compression learns from the attention-reconstruction loss."
                : "// Both keep their last positions without gradient.");
            if (trains)
                writer.WriteLine($"{Names.Tensor}? reconstruction = null;");
            writer.WriteLine($"for (int i = 0; i < {depth}; i++)");
            writer.OpenBlock();
            writer.WriteLine("var input = x;");
            writer.WriteLine($"x = layers[i].forward(x, {blockArguments.Replace("layerMemory", "memory?.Context(i)")});");
            writer.WriteLine("if (memory?.Update(i, input) is not { } evicted)");
            writer.Indented(() => writer.WriteLine("continue;"));
            writer.WriteLine($"// The positions that left the memory, [batch, evicted, Dim] -> slots [batch, evicted / {ratio}, Dim].");
            writer.WriteLine("var slots = memory_compression[i].forward(evicted);");
            writer.WriteLine("memory.AppendCompressed(i, slots);");
            if (trains)
            {
                writer.WriteLine($"if (training && {Names.Torch}.is_grad_enabled())");
                writer.OpenBlock();
                writer.WriteLine("var loss = layers[i].ReconstructionLoss(input, evicted, slots);");
                writer.WriteLine("reconstruction = reconstruction is null ? loss : reconstruction + loss;");
                writer.CloseBlock();
            }
            writer.CloseBlock();
            if (trains)
                writer.WriteLine($"reconstruction_loss.Set(reconstruction, weight: {SpecFormat.DoubleLiteral(attention.ReconstructionWeight)});");
        }

        public override void EmitBlockMembers(SourceWriter writer, ModelSpec spec, IReadOnlyList<Sublayer> sublayers, string parameters, string arguments)
        {
            if (!TrainsCompression(spec))
                return;
            var attention = sublayers.First(sublayer => sublayer.Field == "attn");
            bool preNorm = spec.Normalization.Placement == NormPlacement.Pre;
            string Normalised(string input) => preNorm ? $"{attention.Norm}.forward({input})" : input;
            writer.WriteLine();
            writer.WriteLine("/// <summary>");
            writer.WriteLine("/// This layer's attention-reconstruction loss (Rae et al., 2020, §3.2): the mean squared difference between the content");
            writer.WriteLine("/// attention of the segment's queries over the positions that left the memory and over the slots they became. Its");
            writer.WriteLine("/// gradient reaches <paramref name=\"compressed\"/>, so the compression function, and nothing else.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine("/// <param name=\"segment\">The segment's input to this block, <c>[batch, seq, Dim]</c>.</param>");
            writer.WriteLine("/// <param name=\"evicted\">The positions that left the memory, <c>[batch, evicted, Dim]</c>.</param>");
            writer.WriteLine("/// <param name=\"compressed\">Their slots, <c>[batch, evicted / CompressionRatio, Dim]</c>, with the compression's gradient history.</param>");
            writer.WriteLine($"internal {Names.Tensor} ReconstructionLoss({Names.Tensor} segment, {Names.Tensor} evicted, {Names.Tensor} compressed) =>");
            writer.Indented(() => writer.WriteLine(
                $"{AttentionReconstruction}.Loss(context => {attention.Field}.ReconstructionAttention({Normalised("segment")}, {Normalised("context")}), evicted, compressed);"));
        }

        /// <summary>
        /// For a Compressive Transformer, the member of the attention class the reconstruction loss calls: the layer's
        /// content attention without positions. Called by the attention class's emitter (the class is
        /// <c>[SegmentRecurrence]</c>'s) at the end of the class; writes nothing for Transformer-XL or a pooled compression.
        /// </summary>
        public static void EmitReconstructionAttention(SourceWriter writer, ModelSpec spec, SegmentRecurrenceSpec attention)
        {
            if (!TrainsCompression(spec))
                return;
            writer.WriteLine();
            writer.WriteLine("/// <summary>");
            writer.WriteLine($"/// Content attention softmax(q·kᵀ / √{SpecFormat.Int(spec.HeadDimOf(attention))})·v per head, queries from <paramref name=\"x\"/>, keys and values from");
            writer.WriteLine("/// <paramref name=\"context\"/>, without positions or output projection: what the attention-reconstruction loss compares.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine($"internal {Names.Tensor} ReconstructionAttention({Names.Tensor} x, {Names.Tensor} context) =>");
            writer.Indented(() => writer.WriteLine($"{AttentionReconstruction}.ContentAttention(x, context, q_proj, k_proj, v_proj, Heads);"));
        }
    }
}
