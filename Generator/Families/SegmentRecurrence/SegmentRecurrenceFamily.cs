using System;
using System.Collections.Generic;
using System.Linq;
using XformerDsl.Generator.Emit;
using XformerDsl.Generator.Emit.Frame;
using XformerDsl.Generator.Emit.Kernels;
using XformerDsl.Generator.Parsing;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary>
    /// <c>[SegmentRecurrence]</c> (Transformer-XL): the attention class is written whole, because its forward takes the
    /// layer's memory besides the segment and computes keys and values over both; the model's frame carries the memory
    /// (<see cref="SegmentMemoryFeature"/>). Beside the usual projections each layer has W_R (<c>r_proj</c>) and the
    /// biases u and v (<c>r_w_bias</c>, <c>r_r_bias</c>, the reference's names). u and v are per layer (the authors'
    /// TensorFlow <c>untie_r</c>; their PyTorch code shares one pair): sharing would save 2·Dim parameters per layer but
    /// tie layers that attend at different ranges, and per layer keeps every layer's parameters its own, as elsewhere here.
    /// </summary>
    internal sealed class SegmentRecurrenceFamily : AttentionFamily<SegmentRecurrenceSpec, SegmentRecurrenceAttribute>
    {
        public override SpecRuleSet? Rules => SegmentRecurrenceRules.All;

        protected override SegmentRecurrenceSpec? ParseSpec(AttributeArguments arguments)
        {
            int? heads = arguments.RequiredInt(nameof(SegmentRecurrenceAttribute.Heads), SpecLimits.Heads);
            int? memory = arguments.RequiredInt(nameof(SegmentRecurrenceAttribute.Memory), SegmentRecurrenceRules.Memory);
            int clampLength = arguments.OptionalInt(nameof(SegmentRecurrenceAttribute.ClampLength)) ?? 0;
            bool sameLength = arguments.Bool(nameof(SegmentRecurrenceAttribute.SameLength), false);
            int compressed = arguments.OptionalInt(nameof(SegmentRecurrenceAttribute.Compressed)) ?? 0;
            int ratio = arguments.OptionalInt(nameof(SegmentRecurrenceAttribute.CompressionRatio)) ?? SegmentRecurrenceSpec.DefaultCompressionRatio;
            var compression = arguments.Enum(nameof(SegmentRecurrenceAttribute.Compression), CompressionFunction.Convolution);
            double weight = arguments.Double(nameof(SegmentRecurrenceAttribute.ReconstructionWeight), SegmentRecurrenceSpec.DefaultReconstructionWeight);
            return heads is int h && memory is int m ? new SegmentRecurrenceSpec(h, m, clampLength, sameLength, compressed, ratio, compression, weight) : null;
        }

        protected override IEnumerable<(string Name, string Literal)> FormatSpec(SegmentRecurrenceSpec attention)
        {
            yield return Argument(nameof(SegmentRecurrenceAttribute.Heads), attention.Heads);
            yield return Argument(nameof(SegmentRecurrenceAttribute.Memory), attention.Memory);
            yield return Argument(nameof(SegmentRecurrenceAttribute.ClampLength), attention.ClampLength);
            yield return (nameof(SegmentRecurrenceAttribute.SameLength), SpecFormat.Bool(attention.SameLength));
            // The Compressive Transformer's arguments, only where they say something: a Transformer-XL reads as before.
            if (attention.IsCompressive || attention.HasCompressionSettings)
            {
                yield return Argument(nameof(SegmentRecurrenceAttribute.Compressed), attention.Compressed);
                yield return Argument(nameof(SegmentRecurrenceAttribute.CompressionRatio), attention.CompressionRatio);
                yield return Argument(nameof(SegmentRecurrenceAttribute.Compression), attention.Compression);
                yield return (nameof(SegmentRecurrenceAttribute.ReconstructionWeight), SpecFormat.DoubleLiteral(attention.ReconstructionWeight));
            }
        }

        public override bool EmitsWholeClass => true;

        // The class is written whole (EmitClass), so the shared frame's attend step is never asked for.
        protected override void EmitAttend(SourceWriter writer, ModelSpec spec, SegmentRecurrenceSpec attention) =>
            throw new InvalidOperationException("[SegmentRecurrence] writes its attention class whole.");

        private static readonly string[] s_projections = { "q_proj", "k_proj", "v_proj", "out_proj" };

        public override void EmitClass(SourceWriter writer, ModelSpec spec, int index, string name, bool isOverride, bool recurrent)
        {
            var attention = (SegmentRecurrenceSpec)spec.Attention[index].Attention;
            int headDim = spec.HeadDimOf(attention);
            string dim = Int(spec.Dim);
            writer.WriteLine("/// <summary>");
            writer.WriteLine($"/// Multi-head {attention.Complexity}; {Int(attention.Heads)} head{(attention.Heads == 1 ? "" : "s")} of size {Int(headDim)}, causal. Queries come from the");
            writer.WriteLine("/// segment, keys and values from the layer's memory and the segment; scores add a relative-position term.");
            writer.WriteLine("/// </summary>");
            // A Compressive Transformer's block hands its step the context from the model's state (StepOverContext), so only
            // Transformer-XL's attention steps from the state itself.
            bool stepsFromState = recurrent && !attention.IsCompressive;
            writer.WriteLine($"public sealed class {name} : {Names.ModuleBase}{(stepsFromState ? ", " + RecurrentEmitter.AttentionInterface : "")}");
            writer.OpenBlock();
            writer.WriteLine($"private const int Heads = {Int(attention.Heads)};");
            writer.WriteLine($"private const int HeadDim = {Int(headDim)};");
            writer.WriteLine();
            foreach (var projection in s_projections)
                writer.WriteLine($"private readonly {Names.Linear} {projection};");
            writer.WriteLine("// W_R (the reference's r_net): projects the sinusoid of each query-key distance into the heads' position keys.");
            writer.WriteLine($"private readonly {Names.Linear} r_proj;");
            writer.WriteLine("// u and v (the reference's r_w_bias and r_r_bias), [Heads, HeadDim]: what every query adds before scoring content and position.");
            writer.WriteLine($"private readonly {Names.Parameter} r_w_bias;");
            writer.WriteLine($"private readonly {Names.Parameter} r_r_bias;");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Creates the projections q_proj, k_proj, v_proj, out_proj and r_proj, and the biases r_w_bias and r_r_bias.</summary>");
            writer.WriteLine($"public {name}() : base(nameof({name}))");
            writer.OpenBlock();
            foreach (var projection in s_projections)
                writer.WriteLine($"{projection} = {LayerFactories.LinearCreate(spec, spec.Dim, spec.Dim)};");
            writer.WriteLine($"r_proj = {Names.Nn}.Linear({dim}, {dim}, hasBias: false);");
            writer.WriteLine($"r_w_bias = new {Names.Parameter}({Names.Torch}.zeros(Heads, HeadDim));");
            writer.WriteLine($"r_r_bias = new {Names.Parameter}({Names.Torch}.zeros(Heads, HeadDim));");
            writer.WriteLine("RegisterComponents();");
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine("internal void InitializeWeights()");
            writer.OpenBlock();
            LayerFactories.EmitProjectionInitialization(writer, spec, s_projections.Take(3), "out_proj");
            writer.WriteLine("// W_R, u and v as the reference initialises them: N(0, 0.02).");
            writer.WriteLine($"{Names.Init}.normal_(r_proj.weight, 0.0, {SpecFormat.DoubleLiteral(LayerFactories.InitStd)});");
            writer.WriteLine($"{Names.Init}.normal_(r_w_bias, 0.0, {SpecFormat.DoubleLiteral(LayerFactories.InitStd)});");
            writer.WriteLine($"{Names.Init}.normal_(r_r_bias, 0.0, {SpecFormat.DoubleLiteral(LayerFactories.InitStd)});");
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine($"/// <summary>Maps the segment <c>[batch, seq, {dim}]</c> to <c>[batch, seq, {dim}]</c>, attending to the memory before it.</summary>");
            writer.WriteLine("/// <param name=\"x\">The normalised residual stream of the segment.</param>");
            writer.WriteLine("/// <param name=\"keyPaddingMask\">Null, or bool <c>[batch, seq]</c>, true for real tokens of the segment; memory positions are real.</param>");
            writer.WriteLine($"/// <param name=\"memory\">Null, or this layer's memory, normalised as <paramref name=\"x\"/>: <c>[batch, memoryLength, {dim}]</c>.</param>");
            writer.WriteLine($"public {Names.Tensor} forward({Names.Tensor} x, {Names.Tensor}? keyPaddingMask, {Names.Tensor}? memory)");
            writer.OpenBlock();
            writer.WriteLine($"// Keys and values over [memory; segment], queries over the segment: the context is [batch, memoryLength + seq, {dim}].");
            writer.WriteLine($"var context = memory is null ? x : {Names.Torch}.cat(new[] {{ memory, x }}, 1);");
            writer.WriteLine("// The padding mask covers the segment; the memory's positions are real keys.");
            writer.WriteLine("if (keyPaddingMask is not null && memory is not null)");
            writer.Indented(() => writer.WriteLine($"keyPaddingMask = {Names.Torch}.cat(new[] {{ {Names.Torch}.ones(x.shape[0], memory.shape[1], {Names.Torch}.@bool, x.device), keyPaddingMask.to({Names.Torch}.@bool) }}, 1);"));
            writer.WriteLine("return Attend(x, context, keyPaddingMask);");
            writer.CloseBlock();
            if (stepsFromState)
                EmitStep(writer, spec, attention);
            else if (recurrent)
                EmitStepOverContext(writer, spec);
            writer.WriteLine();
            writer.WriteLine("// The segment x attends over the context [memory; x], keyPaddingMask null or covering the context.");
            writer.WriteLine($"private {Names.Tensor} Attend({Names.Tensor} x, {Names.Tensor} context, {Names.Tensor}? keyPaddingMask)");
            writer.OpenBlock();
            writer.WriteLine("long batch = x.shape[0], seq = x.shape[1], keys = context.shape[1];");
            writer.WriteLine($"// Project and split the heads: [batch, {Int(attention.Heads)}, seq or keys, {Int(headDim)}].");
            writer.WriteLine("var q = q_proj.forward(x).view(batch, seq, Heads, HeadDim).transpose(1, 2);");
            writer.WriteLine("var k = k_proj.forward(context).view(batch, keys, Heads, HeadDim).transpose(1, 2);");
            writer.WriteLine("var v = v_proj.forward(context).view(batch, keys, Heads, HeadDim).transpose(1, 2);");
            writer.WriteLine($"// The distances keys - 1 down to 0{(attention.ClampLength > 0 ? $", clamped to {Int(attention.ClampLength)}," : "")} as sinusoids, projected by W_R and split into heads: [{Int(attention.Heads)}, keys, {Int(headDim)}].");
            writer.WriteLine($"var table = {RelativePositions}.Table(seq, keys, causal: true, clampLength: {Int(attention.ClampLength)}, dim: {dim}, x.device, x.dtype);");
            writer.WriteLine("var positions = r_proj.forward(table).view(keys, Heads, HeadDim).transpose(0, 1);");
            writer.WriteLine($"// Attend: softmax(((q + u)·k + (q + v)·W_R·R[memoryLength + i - j]) / √{Int(headDim)}) v, {(attention.SameLength ? $"each query seeing the {Int(attention.Memory)} keys that end at itself (SameLength)" : "each query seeing the memory and the segment up to itself")}.");
            writer.WriteLine($"// The fused kernel below ({SoftmaxKernelEmitter.ClassName}) adds each score's position term from the distance rows its tile spans, so no");
            writer.WriteLine("// [seq, keys] tensor exists; other devices and dtypes take the reference composition.");
            writer.WriteLine($"var attended = {FusedRelativeAttention}<{SoftmaxKernelEmitter.ClassName}>.Apply(q, k, v, r_w_bias, r_r_bias, positions, keyPaddingMask);");
            writer.WriteLine($"// Merge the heads: [batch, {Int(attention.Heads)}, seq, {Int(headDim)}] -> [batch, seq, {dim}].");
            writer.WriteLine("var merged = attended.transpose(1, 2).reshape(batch, seq, Heads * HeadDim);");
            writer.WriteLine(LayerFactories.ReturnOutputProjection(spec, "merged"));
            writer.CloseBlock();
            SegmentMemoryFeature.EmitReconstructionAttention(writer, spec, attention);
            writer.WriteLine();
            SoftmaxKernelEmitter.Emit(writer, spec, attention, new SegmentMemorySchedule(attention.SameLength ? attention.Memory : 0), $"{spec.Name}.{name}",
                scores: KernelScores.QueryKeyAndRelativePositions);
            writer.CloseBlock();
        }

        // A step is a segment of one token over the layer's memory, which the recurrent state keeps.
        private static void EmitStep(SourceWriter writer, ModelSpec spec, SegmentRecurrenceSpec attention)
        {
            AttentionClassEmitter.EmitStepOpening(writer, spec, "Attends each sequence's new token over this layer's memory, then adds the token to it",
                declareBatch: false);
            writer.WriteLine($"// The layer's inputs at each sequence's last {Int(attention.Memory)} positions (Memory), kept by the state between steps.");
            writer.WriteLine($"var memory = state.Layer(layer, s => new {MemoryStepState}(s.Batch, length: {Int(attention.Memory)}, dim: {Int(spec.Dim)}, s.Device, s.DType));");
            writer.WriteLine("// A segment of one token: keys and values over [memory; token], the slots a sequence has not filled yet masked.");
            writer.WriteLine("var (context, keyPaddingMask) = memory.Context(x);");
            writer.WriteLine("var output = Attend(x, context, keyPaddingMask);");
            writer.WriteLine("memory.Push(x, state.Active);");
            writer.WriteLine("return output;");
            writer.CloseBlock();
        }

        // A Compressive Transformer's memory is compressed from the block's inputs, before its norm, so the block keeps the
        // layer's state and hands the attention the normalised context; the step is the attention over it.
        private static void EmitStepOverContext(SourceWriter writer, ModelSpec spec)
        {
            string dim = Int(spec.Dim);
            writer.WriteLine();
            writer.WriteLine($"/// <summary>Attends each sequence's new token over its context from the recurrent state: <c>[batch, 1, {dim}]</c> to <c>[batch, 1, {dim}]</c>.</summary>");
            writer.WriteLine("/// <param name=\"x\">The normalised residual stream at the new token.</param>");
            writer.WriteLine($"/// <param name=\"context\">Each sequence's compressed slots, memory and new token, normalised as <paramref name=\"x\"/>: <c>[batch, keys, {dim}]</c>.</param>");
            writer.WriteLine("/// <param name=\"keyPaddingMask\">Bool <c>[batch, keys]</c>, false at the slots a sequence has not filled yet.</param>");
            writer.WriteLine($"public {Names.Tensor} Step({Names.Tensor} x, {Names.Tensor} context, {Names.Tensor} keyPaddingMask) => Attend(x, context, keyPaddingMask);");
        }

        /// <summary>
        /// Every [SegmentRecurrence] model is causal (XF0140), and a step is a segment of one token over the memory (and the
        /// compressed memory, which the step compresses as forward does).
        /// </summary>
        protected override bool IsRecurrent(ModelSpec spec, SegmentRecurrenceSpec attention) => true;

        /// <summary>The memory has its declared length whatever the position, and the positions are relative: no MaxLength.</summary>
        public override bool StepsPastMaxLength(ModelSpec spec, AttentionSpec attention) => true;

        public override StepStateDescription? StepState(ModelSpec spec, AttentionSpec attention)
        {
            var declaration = (SegmentRecurrenceSpec)attention;
            if (!declaration.IsCompressive)
                return new("relative-position attention over its memory", "Transformer-XL layers",
                    $"its inputs at the last {Int(declaration.Memory)} positions (its memory)", FixedSize: true,
                    StepEquals: "each sequence run as one-token segments through forward with <c>CreateMemory()</c> (the forward pass over the\n/// whole sequence while it fits in the memory)");
            return new("relative-position attention over its compressed slots and its memory", "Compressive Transformer layers",
                $"its inputs at the last {Int(declaration.Memory)} to {Int(declaration.Memory + declaration.CompressionRatio - 1)} positions (its memory) and {Int(declaration.Compressed)} compressed slots", FixedSize: true,
                StepEquals: "each sequence run as one-token segments through forward with <c>CreateMemory()</c> (the forward pass over the\n/// whole sequence until its first positions are compressed)");
        }

        internal const string MemoryStepState = "global::XformerDsl.Attention.Recurrence.SegmentMemoryStepState";
        private const string RelativePositions = "global::XformerDsl.Attention.Recurrence.RelativePositions";
        private const string FusedRelativeAttention = "global::XformerDsl.Attention.Recurrence.FusedRelativeAttention";
    }
}
