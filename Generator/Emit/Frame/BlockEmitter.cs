using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Frame
{
    /// <summary>
    /// The nested <c>Block</c> module: a norm and a residual connection around each sublayer, attention then
    /// feed-forward, pre-norm or post-norm.
    /// </summary>
    internal static class BlockEmitter
    {
        public static void Emit(SourceWriter writer, ModelSpec spec)
        {
            bool pre = spec.Normalization.Placement == NormPlacement.Pre;
            bool rotary = spec.Positions.Kind == PositionEncoding.Rotary;
            string norm = spec.Normalization.Kind == NormKind.RmsNorm ? "RMSNorm" : "LayerNorm";
            writer.WriteLine($"/// <summary>One transformer block: {(pre ? "pre-norm" : "post-norm")} ({norm}) attention, then feed-forward, each with a residual connection.</summary>");
            writer.WriteLine($"public sealed class Block : {Names.ModuleBase}");
            writer.OpenBlock();
            writer.WriteLine($"private readonly {LayerFactories.NormType(spec)} attn_norm;");
            writer.WriteLine($"private readonly {AttentionLayerEmitter.BaseClassName} attn;");
            writer.WriteLine($"private readonly {LayerFactories.NormType(spec)} ffn_norm;");
            writer.WriteLine("private readonly FeedForwardNetwork ffn;");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Creates the block's submodules around its attention; the model's constructor initialises them.</summary>");
            writer.WriteLine($"public Block({AttentionLayerEmitter.BaseClassName} attention) : base(nameof(Block))");
            writer.OpenBlock();
            writer.WriteLine($"attn_norm = {LayerFactories.NormCreate(spec)};");
            writer.WriteLine("attn = attention;");
            writer.WriteLine($"ffn_norm = {LayerFactories.NormCreate(spec)};");
            writer.WriteLine("ffn = new FeedForwardNetwork();");
            writer.WriteLine("RegisterComponents();");
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine("internal void InitializeWeights()");
            writer.OpenBlock();
            LayerFactories.EmitNormInit(writer, spec, "attn_norm");
            writer.WriteLine("attn.InitializeWeights();");
            LayerFactories.EmitNormInit(writer, spec, "ffn_norm");
            writer.WriteLine("ffn.InitializeWeights();");
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine($"/// <summary>Maps <c>[batch, seq, {Int(spec.Dim)}]</c> to <c>[batch, seq, {Int(spec.Dim)}]</c>.</summary>");
            writer.WriteLine("/// <param name=\"x\">The residual stream.</param>");
            writer.WriteLine("/// <param name=\"keyPaddingMask\">Null, or bool <c>[batch, seq]</c>, true for real tokens.</param>");
            if (rotary)
                writer.WriteLine("/// <param name=\"rotary\">The rotary tables for positions 0..seq-1.</param>");
            writer.WriteLine($"public {Names.Tensor} forward({Names.Tensor} x, {Names.Tensor}? keyPaddingMask{(rotary ? $", {Names.RotaryTables} rotary" : "")})");
            writer.OpenBlock();
            string attnArgs = rotary ? "keyPaddingMask, rotary" : "keyPaddingMask";
            if (pre)
            {
                writer.WriteLine("// Pre-norm: normalise the input of each sublayer and add its output to the residual stream unchanged.");
                writer.WriteLine($"x = x + attn.forward(attn_norm.forward(x), {attnArgs});");
                writer.WriteLine("x = x + ffn.forward(ffn_norm.forward(x));");
            }
            else
            {
                writer.WriteLine("// Post-norm: add each sublayer's output to the residual stream, then normalise the sum.");
                writer.WriteLine($"x = attn_norm.forward(x + attn.forward(x, {attnArgs}));");
                writer.WriteLine("x = ffn_norm.forward(x + ffn.forward(x));");
            }
            writer.WriteLine("return x;");
            writer.CloseBlock();
            if (spec.Reversible)
            {
                writer.WriteLine();
                writer.WriteLine("/// <summary>");
                writer.WriteLine("/// The block as a reversible layer: F = attention of the normalised second stream, G = feed-forward of the");
                writer.WriteLine("/// normalised first stream; y1 = x1 + F(x2), y2 = x2 + G(y1).");
                writer.WriteLine("/// </summary>");
                writer.WriteLine($"internal {Names.ReversibleBlock} Reversible({Names.Tensor}? keyPaddingMask{(rotary ? $", {Names.RotaryTables} rotary" : "")}) => new(");
                writer.Indented(() =>
                {
                    writer.WriteLine($"x => attn.forward(attn_norm.forward(x), {attnArgs}), {Names.ReversibleBlock}.ParametersOf(attn_norm, attn),");
                    writer.WriteLine($"x => ffn.forward(ffn_norm.forward(x)), {Names.ReversibleBlock}.ParametersOf(ffn_norm, ffn));");
                });
            }
            if (RecurrentEmitter.IsRecurrent(spec))
                RecurrentEmitter.EmitBlockStep(writer, spec);
            writer.CloseBlock();
        }

        private static string Int(long value) => SpecFormat.Int(value);
    }
}
