using System.Collections.Generic;
using System.Linq;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Frame
{
    /// <summary>
    /// The nested <c>Block</c> module: its sublayers in order (attention, then feed-forward, and what frame features
    /// add), each behind a norm with a residual connection, pre-norm or post-norm; then the members frame features add.
    /// </summary>
    internal static class BlockEmitter
    {
        /// <summary>
        /// The parameters of <c>Block.forward</c> after the residual stream <c>x</c>: the padding mask, the rotary tables
        /// (rotary positions), then the frame features' <see cref="FrameFeature.BlockParameters"/>.
        /// </summary>
        public static IReadOnlyList<FrameParameter> ForwardParameters(ModelSpec spec)
        {
            var parameters = new List<FrameParameter> { new FrameParameter($"{Names.Tensor}?", "keyPaddingMask", "Null, or bool <c>[batch, seq]</c>, true for real tokens.") };
            if (spec.Positions.Kind == PositionEncoding.Rotary)
                parameters.Add(new FrameParameter(Names.RotaryTables, "rotary", "The rotary tables for positions 0..seq-1."));
            parameters.AddRange(FrameFeatures.Of(spec).SelectMany(feature => feature.BlockParameters(spec)));
            return parameters;
        }

        /// <summary>The block's sublayers in order: attention, feed-forward, as the frame features arrange them.</summary>
        public static IReadOnlyList<Sublayer> Sublayers(ModelSpec spec)
        {
            // Attention takes the padding mask and the rotary tables, the block's own inputs; feature inputs go where features send them.
            string attentionArguments = spec.Positions.Kind == PositionEncoding.Rotary ? "keyPaddingMask, rotary" : "keyPaddingMask";
            var sublayers = new List<Sublayer>
            {
                new Sublayer("attn", AttentionClassEmitter.BaseClassName, "attention", attentionArguments, "attention"),
                new Sublayer("ffn", FeedForwardEmitter.ClassName, $"new {FeedForwardEmitter.ClassName}()", "", "feed-forward"),
            };
            foreach (var feature in FrameFeatures.Of(spec))
                feature.ArrangeSublayers(spec, sublayers);
            return sublayers;
        }

        public static void Emit(SourceWriter writer, ModelSpec spec)
        {
            bool pre = spec.Normalization.Placement == NormPlacement.Pre;
            string norm = spec.Normalization.Kind == NormKind.RmsNorm ? "RMSNorm" : "LayerNorm";
            var sublayers = Sublayers(spec);
            var parameters = ForwardParameters(spec);
            writer.WriteLine($"/// <summary>One transformer block: {(pre ? "pre-norm" : "post-norm")} ({norm}) {string.Join(", then ", sublayers.Select(s => s.Description))}, each with a residual connection.</summary>");
            writer.WriteLine($"public sealed class Block : {Names.ModuleBase}");
            writer.OpenBlock();
            foreach (var sublayer in sublayers)
            {
                writer.WriteLine($"private readonly {LayerFactories.NormType(spec)} {sublayer.Norm};");
                writer.WriteLine($"private readonly {sublayer.Type} {sublayer.Field};");
            }
            writer.WriteLine();
            writer.WriteLine("/// <summary>Creates the block's submodules around its attention; the model's constructor initialises them.</summary>");
            writer.WriteLine($"public Block({AttentionClassEmitter.BaseClassName} attention) : base(nameof(Block))");
            writer.OpenBlock();
            foreach (var sublayer in sublayers)
            {
                writer.WriteLine($"{sublayer.Norm} = {LayerFactories.NormCreate(spec)};");
                writer.WriteLine($"{sublayer.Field} = {sublayer.Create};");
            }
            writer.WriteLine("RegisterComponents();");
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine("internal void InitializeWeights()");
            writer.OpenBlock();
            foreach (var sublayer in sublayers)
            {
                LayerFactories.EmitNormInit(writer, spec, sublayer.Norm);
                writer.WriteLine($"{sublayer.Field}.InitializeWeights();");
            }
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine($"/// <summary>Maps <c>[batch, seq, {SpecFormat.Int(spec.Dim)}]</c> to <c>[batch, seq, {SpecFormat.Int(spec.Dim)}]</c>.</summary>");
            writer.WriteLine("/// <param name=\"x\">The residual stream.</param>");
            FrameParameter.EmitDocumentation(writer, parameters);
            writer.WriteLine($"public {Names.Tensor} forward({Names.Tensor} x, {FrameParameter.Declarations(parameters)})");
            writer.OpenBlock();
            if (pre)
            {
                writer.WriteLine("// Pre-norm: normalise the input of each sublayer and add its output to the residual stream unchanged.");
                foreach (var sublayer in sublayers)
                    writer.WriteLine($"x = x + {sublayer.Forward($"{sublayer.Norm}.forward(x)")};");
            }
            else
            {
                writer.WriteLine("// Post-norm: add each sublayer's output to the residual stream, then normalise the sum.");
                foreach (var sublayer in sublayers)
                    writer.WriteLine($"x = {sublayer.Norm}.forward(x + {sublayer.Forward("x")});");
            }
            writer.WriteLine("return x;");
            writer.CloseBlock();
            foreach (var feature in FrameFeatures.Of(spec))
                feature.EmitBlockMembers(writer, spec, sublayers, FrameParameter.Declarations(parameters), FrameParameter.Arguments(parameters));
            if (RecurrentEmitter.IsRecurrent(spec))
                RecurrentEmitter.EmitBlockStep(writer, spec);
            writer.CloseBlock();
        }
    }
}
