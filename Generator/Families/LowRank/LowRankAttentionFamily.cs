using System.Collections.Generic;
using XformerDsl.Generator.Emit;
using XformerDsl.Generator.Emit.Kernels;
using XformerDsl.Generator.Parsing;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary>
    /// <c>[LowRankAttention]</c> (Linformer): the length projections <c>e_proj</c> (and <c>f_proj</c> unless keys and
    /// values share it) beside the usual projections; the attend step zeroes padded key and value rows, projects them
    /// along the length to ProjectedLength rows with the first seq columns, and attends to those rows with the generated
    /// bidirectional softmax <c>Kernel</c>, which serves queries and keys of different lengths.
    /// </summary>
    internal sealed class LowRankAttentionFamily : AttentionFamily<LowRankAttentionSpec, LowRankAttentionAttribute>
    {
        public override SpecRuleSet? Rules => LowRankAttentionRules.All;

        protected override LowRankAttentionSpec? ParseSpec(AttributeArguments arguments)
        {
            int? heads = arguments.RequiredInt(nameof(LowRankAttentionAttribute.Heads), SpecLimits.Heads);
            int? projectedLength = arguments.RequiredInt(nameof(LowRankAttentionAttribute.ProjectedLength), LowRankAttentionRules.ProjectedLength);
            var sharing = arguments.Enum(nameof(LowRankAttentionAttribute.Sharing), LowRankAttentionSpec.DefaultSharing);
            return heads is int h && projectedLength is int k ? new LowRankAttentionSpec(h, k, sharing) : null;
        }

        protected override IEnumerable<(string Name, string Literal)> FormatSpec(LowRankAttentionSpec attention)
        {
            yield return Argument(nameof(LowRankAttentionAttribute.Heads), attention.Heads);
            yield return Argument(nameof(LowRankAttentionAttribute.ProjectedLength), attention.ProjectedLength);
            yield return Argument(nameof(LowRankAttentionAttribute.Sharing), attention.Sharing);
        }

        // E projects the values too: one projection per layer (KeyValue), or the model's one for every layer (Layerwise).
        private static bool SharesKeyValue(LowRankAttentionSpec attention) => attention.Sharing != LowRankSharing.Headwise;

        private static bool SharesAcrossLayers(LowRankAttentionSpec attention) => LowRankAttentionSpec.SharesAcrossLayers(attention);

        // A layerwise layer reads the model's projection and owns none.
        protected override bool HasOwnParameters(ModelSpec spec, LowRankAttentionSpec attention) => !SharesAcrossLayers(attention);

        private const string SharedField = "shared_e_proj";

        private static string Shape(ModelSpec spec, LowRankAttentionSpec attention) => $"<c>[{Int(attention.ProjectedLength)}, {Int(spec.MaxLength)}]</c>";

        private static string Initialize(string field) =>
            $"{Names.Init}.xavier_uniform_({field}, gain: {SpecFormat.DoubleLiteral(1.0 / System.Math.Sqrt(2.0))});";

        protected override ModelOwnedParameter? ModelParameter(ModelSpec spec, LowRankAttentionSpec attention) =>
            SharesAcrossLayers(attention)
                ? new ModelOwnedParameter(
                    SharedField,
                    $"E = F for every layer, {Shape(spec, attention)}: projects the keys and values of every [LowRankAttention(Sharing = Layerwise)] layer along the length (fairseq's shared_layer_kv_compressed); Xavier uniform with gain 1/√2.",
                    $"new {Names.Parameter}({Names.Torch}.empty({Int(attention.ProjectedLength)}, {Int(spec.MaxLength)}))",
                    Initialize(SharedField))
                : null;

        protected override void EmitFields(SourceWriter writer, ModelSpec spec, LowRankAttentionSpec attention)
        {
            string shape = Shape(spec, attention);
            writer.WriteLine($"private const int ProjectedLength = {Int(attention.ProjectedLength)};");
            writer.WriteLine($"private const int MaxLength = {Int(spec.MaxLength)};");
            if (SharesAcrossLayers(attention))
            {
                writer.WriteLine($"/// <summary>Reads the model's E = F, {shape}, shared by every layerwise low-rank layer; a delegate, so this layer does not register it.</summary>");
                writer.WriteLine($"private readonly global::System.Func<{Names.Tensor}> {SharedField};");
                return;
            }
            writer.WriteLine(SharesKeyValue(attention)
                ? $"/// <summary>E = F, {shape}: projects the keys and the values of every head along the length (fairseq's compress_k with shared_kv_compressed).</summary>"
                : $"/// <summary>E, {shape}: projects the keys of every head along the length (fairseq's compress_k).</summary>");
            writer.WriteLine($"private readonly {Names.Parameter} e_proj;");
            if (!SharesKeyValue(attention))
            {
                writer.WriteLine($"/// <summary>F, {shape}: projects the values of every head along the length (fairseq's compress_v).</summary>");
                writer.WriteLine($"private readonly {Names.Parameter} f_proj;");
            }
        }

        protected override void EmitConstruction(SourceWriter writer, ModelSpec spec, LowRankAttentionSpec attention)
        {
            if (SharesAcrossLayers(attention))
            {
                writer.WriteLine($"this.{SharedField} = {SharedField};");
                return;
            }
            writer.WriteLine($"e_proj = new {Names.Parameter}({Names.Torch}.empty(ProjectedLength, MaxLength));");
            if (!SharesKeyValue(attention))
                writer.WriteLine($"f_proj = new {Names.Parameter}({Names.Torch}.empty(ProjectedLength, MaxLength));");
        }

        protected override void EmitInitialization(SourceWriter writer, ModelSpec spec, LowRankAttentionSpec attention)
        {
            if (SharesAcrossLayers(attention))
                return; // the model initialises its shared projection once
            writer.WriteLine("// As the Linformer reference (fairseq's compress_k, compress_v): Xavier uniform with gain 1/√2.");
            writer.WriteLine(Initialize("e_proj"));
            if (!SharesKeyValue(attention))
                writer.WriteLine(Initialize("f_proj"));
        }

        protected override void EmitAttend(SourceWriter writer, ModelSpec spec, LowRankAttentionSpec attention)
        {
            writer.WriteLine("// Zero the padded rows of k and v before projecting, so padding adds nothing to any compressed row (fairseq masks");
            writer.WriteLine("// nothing after compressing, which lets padding leak in).");
            writer.WriteLine("var padded = keyPaddingMask is null ? null : keyPaddingMask.logical_not().view(batch, 1, seq, 1);");
            writer.WriteLine("var keys = padded is null ? k : k.masked_fill(padded, 0.0);");
            writer.WriteLine("var values = padded is null ? v : v.masked_fill(padded, 0.0);");
            writer.WriteLine($"// Project along the length with the first seq columns: [{Int(attention.ProjectedLength)}, seq] x [batch, {Int(attention.Heads)}, seq, {Int(spec.HeadDimOf(attention))}] -> [batch, {Int(attention.Heads)}, {Int(attention.ProjectedLength)}, {Int(spec.HeadDimOf(attention))}]{(SharesAcrossLayers(attention) ? ", the model's one projection for both (E = F, every layer)" : SharesKeyValue(attention) ? ", one projection for both (E = F)" : "")}.");
            if (SharesAcrossLayers(attention))
                writer.WriteLine($"var projection = {SharedField}();");
            string key = SharesAcrossLayers(attention) ? "projection" : "e_proj";
            string value = SharesKeyValue(attention) ? key : "f_proj";
            writer.WriteLine($"var projectedKeys = {Names.Torch}.matmul({key}.narrow(1, 0, seq), keys);");
            writer.WriteLine($"var projectedValues = {Names.Torch}.matmul({value}.narrow(1, 0, seq), values);");
            writer.WriteLine($"// Attend: softmax(q kᵀ / √{Int(spec.HeadDimOf(attention))}) v over the {Int(attention.ProjectedLength)} projected rows, all visible. The fused kernel below");
            writer.WriteLine($"// ({SoftmaxKernelEmitter.ClassName}) runs it on the CPU; other devices and dtypes take the reference path.");
            writer.WriteLine($"var attended = {Names.FusedAttention}<{SoftmaxKernelEmitter.ClassName}>.Apply(q, projectedKeys, projectedValues, null);");
        }

        protected override void EmitNestedTypes(SourceWriter writer, ModelSpec spec, LowRankAttentionSpec attention, string owner)
        {
            writer.WriteLine();
            // Queries (up to MaxLength) attend to ProjectedLength keys, all visible: the bidirectional full-attention kernel.
            SoftmaxKernelEmitter.Emit(writer, spec with { Causal = false }, attention, new FullSchedule(causal: false), owner);
        }
    }
}
