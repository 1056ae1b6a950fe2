using System.Collections.Generic;
using XformerDsl.Generator.Emit;
using XformerDsl.Generator.Emit.Kernels;
using XformerDsl.Generator.Parsing;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary>
    /// <c>[CompressedAttention]</c> (memory-compressed attention): the key and value filters <c>k_compress</c> and
    /// <c>v_compress</c> (with <see cref="MemoryCompression.Convolution"/>) and, in a causal model, the null key and value
    /// beside the usual projections. The attend step compresses keys and values along the length with the runtime's
    /// <c>CompressedMemory</c>, puts the null key and value first when causal, and attends with the generated
    /// <c>Kernel</c>: the bidirectional full-attention kernel over the slots, or the causal slot schedule
    /// (<see cref="CompressedSlotSchedule"/>) with the ratio compiled in.
    /// </summary>
    internal sealed class CompressedAttentionFamily : AttentionFamily<CompressedAttentionSpec, CompressedAttentionAttribute>
    {
        private const string Memory = "global::XformerDsl.Attention.Compressed.CompressedMemory";

        public override SpecRuleSet? Rules => CompressedAttentionRules.All;

        protected override CompressedAttentionSpec? ParseSpec(AttributeArguments arguments)
        {
            int? heads = arguments.RequiredInt(nameof(CompressedAttentionAttribute.Heads), SpecLimits.Heads);
            int ratio = arguments.OptionalInt(nameof(CompressedAttentionAttribute.Ratio)) ?? CompressedAttentionSpec.DefaultRatio;
            var compression = arguments.Enum(nameof(CompressedAttentionAttribute.Compression), CompressedAttentionSpec.DefaultCompression);
            return heads is int h ? new CompressedAttentionSpec(h, ratio, compression) : null;
        }

        protected override IEnumerable<(string Name, string Literal)> FormatSpec(CompressedAttentionSpec attention)
        {
            yield return Argument(nameof(CompressedAttentionAttribute.Heads), attention.Heads);
            yield return Argument(nameof(CompressedAttentionAttribute.Ratio), attention.Ratio);
            yield return Argument(nameof(CompressedAttentionAttribute.Compression), attention.Compression);
        }

        private static bool Convolves(CompressedAttentionSpec attention) => attention.Compression == MemoryCompression.Convolution;

        // The filters, or in a causal model the null key and value; a bidirectional mean-pooled layer has neither.
        protected override bool HasOwnParameters(ModelSpec spec, CompressedAttentionSpec attention) => Convolves(attention) || spec.Causal;

        protected override void EmitFields(SourceWriter writer, ModelSpec spec, CompressedAttentionSpec attention)
        {
            writer.WriteLine("/// <summary>Positions per slot: keys and values are compressed along the length, each slot into one row.</summary>");
            writer.WriteLine($"private const int Ratio = {Int(attention.Ratio)};");
            if (Convolves(attention))
            {
                string shape = $"<c>[{Int(spec.Dim)}, {Int(spec.HeadDimOf(attention))}, {Int(attention.Ratio)}]</c>";
                writer.WriteLine($"/// <summary>The keys' strided convolution, kernel = stride = Ratio, one group per head: weight {shape}.</summary>");
                writer.WriteLine($"private readonly {Names.TorchModules}.Conv1d k_compress;");
                writer.WriteLine($"/// <summary>The values' strided convolution, kernel = stride = Ratio, one group per head: weight {shape}.</summary>");
                writer.WriteLine($"private readonly {Names.TorchModules}.Conv1d v_compress;");
            }
            if (spec.Causal)
            {
                writer.WriteLine($"/// <summary>The null key of each head, <c>[{Int(attention.Heads)}, {Int(spec.HeadDimOf(attention))}]</c>: key 0, visible to every query.</summary>");
                writer.WriteLine($"private readonly {Names.Parameter} null_key;");
                writer.WriteLine($"/// <summary>The null value of each head, <c>[{Int(attention.Heads)}, {Int(spec.HeadDimOf(attention))}]</c>.</summary>");
                writer.WriteLine($"private readonly {Names.Parameter} null_value;");
            }
        }

        protected override void EmitConstruction(SourceWriter writer, ModelSpec spec, CompressedAttentionSpec attention)
        {
            if (Convolves(attention))
            {
                foreach (var filter in new[] { "k_compress", "v_compress" })
                    writer.WriteLine($"{filter} = {Names.Nn}.Conv1d(Heads * HeadDim, Heads * HeadDim, Ratio, stride: Ratio, groups: Heads, bias: {SpecFormat.Bool(spec.Bias)});");
            }
            if (spec.Causal)
            {
                writer.WriteLine($"null_key = new {Names.Parameter}({Names.Torch}.empty(Heads, HeadDim));");
                writer.WriteLine($"null_value = new {Names.Parameter}({Names.Torch}.empty(Heads, HeadDim));");
            }
        }

        protected override void EmitInitialization(SourceWriter writer, ModelSpec spec, CompressedAttentionSpec attention)
        {
            if (Convolves(attention))
            {
                double bound = 1.0 / System.Math.Sqrt((double)spec.HeadDimOf(attention) * attention.Ratio);
                writer.WriteLine($"// PyTorch's Conv1d default, which lucidrains' ConvCompress keeps: weights Kaiming-uniform with a = √5, biases");
                writer.WriteLine($"// uniform in ±1/√fan-in = ±1/√(HeadDim·Ratio).");
                foreach (var filter in new[] { "k_compress", "v_compress" })
                {
                    writer.WriteLine($"{Names.Init}.kaiming_uniform_({filter}.weight, a: {SpecFormat.DoubleLiteral(System.Math.Sqrt(5.0))});");
                    if (spec.Bias)
                        writer.WriteLine($"{Names.Init}.uniform_({filter}.bias!, {SpecFormat.DoubleLiteral(-bound)}, {SpecFormat.DoubleLiteral(bound)});");
                }
            }
            if (spec.Causal)
            {
                writer.WriteLine("// Zero, as lucidrains' null_k and null_v: the null key scores 0 against every query until it learns otherwise.");
                writer.WriteLine($"{Names.Init}.zeros_(null_key);");
                writer.WriteLine($"{Names.Init}.zeros_(null_value);");
            }
        }

        /// <summary>
        /// A causal compressed layer steps from its current slot's raw keys and values and the whole slots compressed so
        /// far (<c>CompressedStepState</c>): a Ratio-th of a key-value cache.
        /// </summary>
        protected override bool IsRecurrent(ModelSpec spec, CompressedAttentionSpec attention) => spec.Causal;

        public override StepStateDescription? StepState(ModelSpec spec, AttentionSpec attention) =>
            new("memory-compressed attention", "Memory-compressed layers", "the compressed slots so far, which grow with the position, and the current slot's keys and values", FixedSize: false);

        protected override void EmitStepAttend(SourceWriter writer, ModelSpec spec, CompressedAttentionSpec attention)
        {
            string Compress(string x) => Convolves(attention)
                ? $"slot => {Memory}.Convolve(slot, null, {x}_compress.weight, {x}_compress.bias, Ratio)"
                : $"slot => {Memory}.MeanPool(slot, null, Ratio)";
            writer.WriteLine("// Add the new key and value to the current slot and compress it again; the query attends the null key and the");
            writer.WriteLine("// whole slots, as in forward.");
            writer.WriteLine($"var attended = state.Layer(layer, s => new {StepStateType}(s.Batch, Heads, HeadDim, Ratio, s.MaxLength, s.Device, s.DType))");
            writer.Indented(() => writer.WriteLine($".Step(q, k, v, state.Positions, {Compress("k")}, {Compress("v")}, null_key, null_value);"));
        }

        private const string StepStateType = "global::XformerDsl.Attention.Compressed.CompressedStepState";

        protected override void EmitAttend(SourceWriter writer, ModelSpec spec, CompressedAttentionSpec attention)
        {
            string heads = Int(attention.Heads), headDim = Int(spec.HeadDimOf(attention)), ratio = Int(attention.Ratio);
            writer.WriteLine($"// Compress along the length, each slot of {ratio} positions into one row: [batch, {heads}, seq, {headDim}] -> [batch, {heads}, ⌈seq / {ratio}⌉, {headDim}].");
            writer.WriteLine("// Padded positions are zeroed first, so they add nothing to a slot, and the end is padded with zero rows to a whole slot.");
            if (Convolves(attention))
            {
                writer.WriteLine($"var keys = {Memory}.Convolve(k, keyPaddingMask, k_compress.weight, k_compress.bias, Ratio);");
                writer.WriteLine($"var values = {Memory}.Convolve(v, keyPaddingMask, v_compress.weight, v_compress.bias, Ratio);");
            }
            else
            {
                writer.WriteLine($"var keys = {Memory}.MeanPool(k, keyPaddingMask, Ratio);");
                writer.WriteLine($"var values = {Memory}.MeanPool(v, keyPaddingMask, Ratio);");
            }
            if (spec.Causal)
            {
                writer.WriteLine(attention.Ratio > 1
                    ? $"// The null key and value go first, visible to every query: queries 0 … {Int(attention.Ratio - 2)} see no whole slot yet."
                    : "// The null key and value go first, visible to every query.");
                writer.WriteLine($"keys = {Memory}.WithNullRow(keys, null_key);");
                writer.WriteLine($"values = {Memory}.WithNullRow(values, null_value);");
                writer.WriteLine("// A slot holding no real token is hidden; the null key never is.");
                writer.WriteLine($"var slotMask = {Memory}.SlotMask(keyPaddingMask, Ratio, nullKey: true);");
                writer.WriteLine($"// Attend: query i sees key j (slot j − 1) once the slot's last position, j·{ratio} − 1, is at or before i.");
            }
            else
            {
                writer.WriteLine("// A slot holding no real token is hidden.");
                writer.WriteLine($"var slotMask = {Memory}.SlotMask(keyPaddingMask, Ratio, nullKey: false);");
                writer.WriteLine("// Attend: every query sees every slot.");
            }
            writer.WriteLine($"// The fused kernel below ({SoftmaxKernelEmitter.ClassName}) runs it on the CPU; other devices and dtypes take the reference path.");
            writer.WriteLine($"var attended = {Names.FusedAttention}<{SoftmaxKernelEmitter.ClassName}>.Apply(q, keys, values, slotMask);");
        }

        protected override void EmitNestedTypes(SourceWriter writer, ModelSpec spec, CompressedAttentionSpec attention, string owner)
        {
            writer.WriteLine();
            // Bidirectional, queries (up to MaxLength) attend to the ⌈seq / Ratio⌉ slots, all visible: the full-attention kernel.
            SoftmaxSchedule schedule = spec.Causal ? new CompressedSlotSchedule(attention.Ratio) : new FullSchedule(causal: false);
            SoftmaxKernelEmitter.Emit(writer, spec, attention, schedule, owner);
        }
    }
}
