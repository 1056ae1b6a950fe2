using System.Linq;
using XformerDsl.Generator.Emit.Frame;
using XformerDsl.Generator.Families;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit
{
    /// <summary>
    /// The recurrent stepping API of a causal model whose every attention declaration has a recurrent form (linear
    /// attention: a fixed-size state; full attention: a key-value cache): <c>CreateState(batch)</c> and
    /// <c>Step(state, tokens, active)</c> on the model, and a <c>Step</c> on each block and attention layer.
    /// </summary>
    internal static class RecurrentEmitter
    {
        public const string ModelInterface = "global::XformerDsl.Modules.IRecurrentLanguageModel";
        public const string AttentionInterface = "global::XformerDsl.Modules.IRecurrentAttention";
        public const string State = "global::XformerDsl.Modules.RecurrentState";

        /// <summary>
        /// True when every attention declaration of the model can step one token at a time and no frame feature rules
        /// stepping out (reversible blocks carry two streams, which the block step here does not).
        /// </summary>
        public static bool IsRecurrent(ModelSpec spec) =>
            spec.Encoder is null && !FrameFeatures.DisableStepping(spec) && spec.Attention.All(declaration => AttentionFamilies.Of(declaration.Attention).IsRecurrent(spec, declaration.Attention));

        public static void EmitModelStep(SourceWriter writer, ModelSpec spec)
        {
            writer.WriteLine("/// <summary>");
            writer.WriteLine("/// A recurrent state for <paramref name=\"batch\"/> sequences at position 0, on this model's device and dtype: see <see cref=\"Step\"/>.");
            writer.WriteLine(StateDescription(spec));
            writer.WriteLine("/// </summary>");
            writer.WriteLine($"public {State} CreateState(long batch) =>");
            writer.Indented(() => writer.WriteLine($"new {State}(batch, maxLength: {Int(spec.MaxLength)}, token_embedding.weight!.device, token_embedding.weight!.dtype);"));
            writer.WriteLine();
            writer.WriteLine("/// <summary>");
            writer.WriteLine($"/// Feeds one token per sequence and returns the logits <c>[batch, {Int(spec.Vocab)}]</c> for the next one: equal to the logits of");
            writer.WriteLine("/// <see cref=\"forward(global::TorchSharp.torch.Tensor)\"/> at each sequence's position, without running the earlier tokens");
            writer.WriteLine("/// again. Sequences whose <paramref name=\"active\"/> entry is false keep their state and position (their logits mean");
            writer.WriteLine("/// nothing), so one batch can hold sequences of different lengths. Records no gradients; dropout follows the module's");
            writer.WriteLine("/// mode, as in forward, so generate in eval mode.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine("/// <param name=\"state\">From <see cref=\"CreateState\"/>; updated in place.</param>");
            writer.WriteLine("/// <param name=\"tokens\">Token ids, <c>[batch]</c>.</param>");
            writer.WriteLine("/// <param name=\"active\">Null (every sequence takes its token), or bool <c>[batch]</c>.</param>");
            writer.WriteLine($"/// <exception cref=\"global::System.ArgumentException\">When the tokens or the mask have the wrong shape, or an active sequence is at MaxLength = {Int(spec.MaxLength)}.</exception>");
            writer.WriteLine($"public {Names.Tensor} Step({State} state, {Names.Tensor} tokens, {Names.Tensor}? active = null)");
            writer.OpenBlock();
            writer.WriteLine($"state.BeginStep(tokens, active, vocab: {Int(spec.Vocab)}, model: nameof({Names.Identifier(spec.Name)}));");
            writer.WriteLine($"using var noGrad = {Names.Torch}.no_grad();");
            writer.WriteLine($"using var scope = {Names.Torch}.NewDisposeScope();");
            switch (spec.Positions.Kind)
            {
                case PositionEncoding.Learned:
                    writer.WriteLine($"// Embed the new tokens plus the learned vector of each sequence's position: [batch] -> [batch, 1, {Int(spec.Dim)}].");
                    writer.WriteLine("var x = (token_embedding.forward(tokens) + position_embedding.forward(state.Positions)).unsqueeze(1);");
                    break;
                case PositionEncoding.Sinusoidal:
                    writer.WriteLine($"// Embed the new tokens plus the sinusoidal row of each sequence's position: [batch] -> [batch, 1, {Int(spec.Dim)}].");
                    writer.WriteLine($"var x = (token_embedding.forward(tokens) + state.SinusoidalRows({Int(spec.Dim)})).unsqueeze(1);");
                    break;
                default:
                    writer.WriteLine($"// Embed the new tokens: [batch] -> [batch, 1, {Int(spec.Dim)}].");
                    writer.WriteLine("var x = token_embedding.forward(tokens).unsqueeze(1);");
                    break;
            }
            if (spec.Dropout > 0)
                writer.WriteLine($"x = {Names.Functional}.dropout(x, {SpecFormat.DoubleLiteral(spec.Dropout)}, training);");
            writer.WriteLine("// The blocks, each reading and updating its layer's part of the state.");
            writer.WriteLine("for (int i = 0; i < layers.Count; i++)");
            writer.Indented(() => writer.WriteLine("x = layers[i].Step(x, state, i);"));
            ModelModuleEmitter.EmitOutputHead(writer, spec, "1");
            writer.WriteLine("// The active sequences move to their next position.");
            writer.WriteLine("state.EndStep();");
            writer.WriteLine("return logits.squeeze(1).MoveToOuterDisposeScope();");
            writer.CloseBlock();
        }

        public static void EmitBlockStep(SourceWriter writer, ModelSpec spec)
        {
            // With several declarations the field has the abstract base type; every subclass implements the step.
            string attention = spec.Attention.Count == 1 ? "attn" : $"(({AttentionInterface})attn)";
            writer.WriteLine();
            writer.WriteLine($"/// <summary>The recurrent form of forward for one new token per sequence: <c>[batch, 1, {Int(spec.Dim)}]</c> to <c>[batch, 1, {Int(spec.Dim)}]</c>.</summary>");
            writer.WriteLine("/// <param name=\"x\">The residual stream at the new token.</param>");
            writer.WriteLine("/// <param name=\"state\">The model's recurrent state.</param>");
            writer.WriteLine("/// <param name=\"layer\">This block's number.</param>");
            writer.WriteLine($"public {Names.Tensor} Step({Names.Tensor} x, {State} state, int layer)");
            writer.OpenBlock();
            if (spec.Normalization.Placement == NormPlacement.Pre)
            {
                writer.WriteLine($"x = x + {attention}.Step(attn_norm.forward(x), state, layer);");
                writer.WriteLine("x = x + ffn.forward(ffn_norm.forward(x));");
            }
            else
            {
                writer.WriteLine($"x = attn_norm.forward(x + {attention}.Step(x, state, layer));");
                writer.WriteLine("x = ffn_norm.forward(x + ffn.forward(x));");
            }
            writer.WriteLine("return x;");
            writer.CloseBlock();
        }

        // What the state holds, from what each layer's family keeps between steps (AttentionFamily.StepState).
        private static string StateDescription(ModelSpec spec)
        {
            var kept = spec.Attention.Select(d => AttentionFamilies.Of(d.Attention).StepState(spec, d.Attention)!).Distinct().ToList();
            var fixedSize = kept.Where(state => state.FixedSize).ToList();
            var growing = kept.Where(state => !state.FixedSize).ToList();
            if (growing.Count == 0)
                return $"/// Every layer attends with {string.Join(" or ", fixedSize.Select(state => state.Attends))}, so the state has a fixed size whatever the position.";
            if (fixedSize.Count > 0)
                return $"/// {string.Join(" and ", fixedSize.Select(state => state.Layers))} keep a state of fixed size; the others {string.Join(" or ", growing.Select(state => state.Holds))}.";
            return $"/// Each layer keeps {string.Join(" or ", growing.Select(state => state.Holds))}.";
        }

        private static string Int(long value) => SpecFormat.Int(value);
    }
}
