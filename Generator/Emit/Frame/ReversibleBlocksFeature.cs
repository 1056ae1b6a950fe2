using System.Collections.Generic;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Frame
{
    /// <summary>
    /// <c>[Reversible]</c>: reversible residual blocks (RevNet, Reformer). The blocks run on two streams through the
    /// runtime's <c>ReversibleLayers</c>, whose backward pass reconstructs each block's inputs from its outputs, so
    /// activation memory does not grow with Depth. Pre-norm only (XF0071): each sublayer reads its normalised input.
    /// </summary>
    internal sealed class ReversibleBlocksFeature : FrameFeature
    {
        public override bool AppliesTo(ModelSpec spec) => spec.Reversible;

        public override void EmitMembers(SourceWriter writer, ModelSpec spec)
        {
            writer.WriteLine("/// <summary>");
            writer.WriteLine("/// True (default): training reconstructs each reversible block's inputs from its outputs in the backward pass, so");
            writer.WriteLine("/// activation memory does not grow with Depth. False: the blocks store their activations as a plain network does;");
            writer.WriteLine("/// the same function and gradients with more memory, for checking and measuring.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine("public bool ReconstructInBackward { get; set; } = true;");
            writer.WriteLine();
        }

        public override bool RunsTheStack => true;

        public override void EmitStack(SourceWriter writer, ModelSpec spec, string blockArguments)
        {
            bool rotary = spec.Positions.Kind == PositionEncoding.Rotary;
            writer.WriteLine("// Reversible blocks (Reformer): two streams, both starting as the embedding; each block adds attention of the");
            writer.WriteLine("// second stream to the first and feed-forward of the new first stream to the second. The backward pass");
            writer.WriteLine("// reconstructs each block's inputs from its outputs instead of storing them. The streams are averaged at the end.");
            writer.WriteLine($"var blocks = new {Names.ReversibleBlock}[{SpecFormat.Int(spec.Depth)}];");
            writer.WriteLine($"for (int i = 0; i < {SpecFormat.Int(spec.Depth)}; i++)");
            writer.Indented(() => writer.WriteLine($"blocks[i] = layers[i].Reversible({blockArguments});"));
            // The rotary tables die with forward's dispose scope, before the backward pass recomputes the blocks: hand them over.
            writer.WriteLine(rotary
                ? $"var (x1, x2) = {Names.ReversibleLayers}.Apply(x, x, blocks, storeActivations: !ReconstructInBackward, shared: new[] {{ rotary.Cos, rotary.Sin }});"
                : $"var (x1, x2) = {Names.ReversibleLayers}.Apply(x, x, blocks, storeActivations: !ReconstructInBackward);");
            writer.WriteLine("x = (x1 + x2) * 0.5;");
        }

        // In inference a reversible block is y1 = x1 + F(x2), y2 = x2 + G(y1): nothing to reconstruct, so the step runs the
        // two streams forward, F's attention stepping from its state as in a plain block.
        public override void EmitStepStack(SourceWriter writer, ModelSpec spec)
        {
            writer.WriteLine("// Reversible blocks on two streams, both starting as the embedding: y1 = x1 + F(x2), y2 = x2 + G(y1), the");
            writer.WriteLine("// attention in F stepping from its layer's state; the streams are averaged at the end, as in forward.");
            writer.WriteLine("var (x1, x2) = (x, x);");
            writer.WriteLine("for (int i = 0; i < layers.Count; i++)");
            writer.Indented(() => writer.WriteLine("(x1, x2) = layers[i].Step(x1, x2, state, i);"));
            writer.WriteLine("x = (x1 + x2) * 0.5;");
        }

        public override void EmitBlockStep(SourceWriter writer, ModelSpec spec, string attention)
        {
            writer.WriteLine();
            writer.WriteLine($"/// <summary>The block's reversible layer for one new token per sequence, on both streams <c>[batch, 1, {SpecFormat.Int(spec.Dim)}]</c>.</summary>");
            writer.WriteLine("/// <param name=\"x1\">The first stream at the new token.</param>");
            writer.WriteLine("/// <param name=\"x2\">The second stream at the new token.</param>");
            writer.WriteLine("/// <param name=\"state\">The model's recurrent state.</param>");
            writer.WriteLine("/// <param name=\"layer\">This block's number.</param>");
            writer.WriteLine($"public ({Names.Tensor}, {Names.Tensor}) Step({Names.Tensor} x1, {Names.Tensor} x2, {RecurrentEmitter.State} state, int layer)");
            writer.OpenBlock();
            writer.WriteLine($"var y1 = x1 + {attention}.Step(attn_norm.forward(x2), state, layer);");
            writer.WriteLine("var y2 = x2 + ffn.Step(ffn_norm.forward(y1));");
            writer.WriteLine("return (y1, y2);");
            writer.CloseBlock();
        }

        // F and G of the reversible layer are the block's two sublayers, attention and feed-forward, each behind its norm.
        public override void EmitBlockMembers(SourceWriter writer, ModelSpec spec, IReadOnlyList<Sublayer> sublayers, string parameters, string arguments)
        {
            Sublayer f = sublayers[0], g = sublayers[1];
            writer.WriteLine();
            writer.WriteLine("/// <summary>");
            writer.WriteLine($"/// The block as a reversible layer: F = {f.Description} of the normalised second stream, G = {g.Description} of the");
            writer.WriteLine("/// normalised first stream; y1 = x1 + F(x2), y2 = x2 + G(y1).");
            writer.WriteLine("/// </summary>");
            writer.WriteLine($"internal {Names.ReversibleBlock} Reversible({parameters}) => new(");
            writer.Indented(() =>
            {
                writer.WriteLine($"x => {f.Forward($"{f.Norm}.forward(x)")}, {Names.ReversibleBlock}.ParametersOf({f.Norm}, {f.Field}),");
                writer.WriteLine($"x => {g.Forward($"{g.Norm}.forward(x)")}, {Names.ReversibleBlock}.ParametersOf({g.Norm}, {g.Field}));");
            });
        }
    }
}
