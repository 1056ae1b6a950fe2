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
        public const string DecoderState = "global::XformerDsl.Modules.DecoderState";
        public const string EncodedSource = "global::XformerDsl.Modules.EncodedSource";
        public const string CrossKeyValues = "global::XformerDsl.Modules.CrossAttentionKeyValues";
        public const string EncoderDecoderInterface = "global::XformerDsl.Modules.IEncoderDecoderModel";

        /// <summary>
        /// True when an encoder–decoder can generate step by step: its decoder's self-attention is recurrent. Then the
        /// model implements <c>IEncoderDecoderModel</c>; the decoder's state holds its self-attention state and, per layer,
        /// the cross-attention keys and values computed once from the encoded source.
        /// </summary>
        public static bool IsRecurrentEncoderDecoder(ModelSpec spec) => spec.Encoder is not null && IsRecurrent(spec.DecoderStack());

        // A decoder stack of an encoder–decoder steps from a DecoderState, whose SelfAttention is the RecurrentState.
        private static bool IsDecoder(ModelSpec spec) => spec.CrossAttention is not null;

        /// <summary>
        /// True when every attention declaration of the model can step one token at a time and no frame feature rules
        /// stepping out (a feature that runs the stack steps it itself: reversible blocks carry their two streams).
        /// </summary>
        public static bool IsRecurrent(ModelSpec spec) =>
            spec.Encoder is null && !FrameFeatures.DisableStepping(spec) && spec.Attention.All(declaration => AttentionFamilies.Of(declaration.Attention).IsRecurrent(spec, declaration.Attention));

        // Every layer's step holds nothing sized by the position (a fixed memory), so the state need not stop at MaxLength.
        private static bool StepsPastMaxLength(ModelSpec spec) =>
            spec.Attention.All(declaration => AttentionFamilies.Of(declaration.Attention).StepsPastMaxLength(spec, declaration.Attention));

        public static void EmitModelStep(SourceWriter writer, ModelSpec spec)
        {
            bool decoder = IsDecoder(spec);
            string selfState = decoder ? "state.SelfAttention" : "state";
            writer.WriteLine("/// <summary>");
            if (decoder)
            {
                writer.WriteLine("/// A state for generating from <paramref name=\"encoded\"/>, one target per source, each at position 0: each layer's");
                writer.WriteLine("/// cross-attention keys and values, computed here once from the encoder's output, and its self-attention state.");
                writer.WriteLine(StateDescription(spec));
                writer.WriteLine("/// </summary>");
                writer.WriteLine("/// <param name=\"encoded\">The encoder's output and the source padding mask.</param>");
                writer.WriteLine($"public {DecoderState} CreateState({EncodedSource} encoded)");
                writer.OpenBlock();
                writer.WriteLine($"using var noGrad = {Names.Torch}.no_grad();");
                writer.WriteLine($"var state = new {DecoderState}(new {State}(encoded.Batch, maxLength: {Int(spec.MaxLength)}, encoded.Output.device, encoded.Output.dtype), encoded);");
                writer.WriteLine("for (int i = 0; i < layers.Count; i++)");
                writer.OpenBlock();
                writer.WriteLine("var layer = layers[i];");
                writer.WriteLine("state.CrossKeyValues(i, _ => layer.CrossKeyValues(encoded.Output));");
                writer.CloseBlock();
                writer.WriteLine("return state;");
                writer.CloseBlock();
            }
            else
            {
                writer.WriteLine("/// A recurrent state for <paramref name=\"batch\"/> sequences at position 0, on this model's device and dtype: see <see cref=\"Step\"/>.");
                writer.WriteLine(StateDescription(spec));
                writer.WriteLine("/// </summary>");
                writer.WriteLine($"public {State} CreateState(long batch) =>");
                writer.Indented(() => writer.WriteLine(StepsPastMaxLength(spec)
                    ? $"new {State}(batch, maxLength: int.MaxValue, token_embedding.weight!.device, token_embedding.weight!.dtype);"
                    : $"new {State}(batch, maxLength: {Int(spec.MaxLength)}, token_embedding.weight!.device, token_embedding.weight!.dtype);"));
            }
            writer.WriteLine();
            writer.WriteLine("/// <summary>");
            writer.WriteLine($"/// Feeds one token per sequence and returns the logits <c>[batch, {Int(spec.Vocab)}]</c> for the next one: equal to the logits of");
            var kept = spec.Attention.Select(d => AttentionFamilies.Of(d.Attention).StepState(spec, d.Attention)?.StepEquals).Distinct().ToList();
            if (!decoder && kept.Count == 1 && kept[0] is string equals)
                writer.WriteLine($"/// {equals}, without running the earlier tokens");
            else
                writer.WriteLine(decoder
                    ? "/// forward at each sequence's position, against the same encoded source, without running the earlier tokens"
                    : "/// <see cref=\"forward(global::TorchSharp.torch.Tensor)\"/> at each sequence's position, without running the earlier tokens");
            writer.WriteLine("/// again. Sequences whose <paramref name=\"active\"/> entry is false keep their state and position (their logits mean");
            writer.WriteLine("/// nothing), so one batch can hold sequences of different lengths. Records no gradients; dropout follows the module's");
            writer.WriteLine("/// mode, as in forward, so generate in eval mode.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine("/// <param name=\"state\">From <see cref=\"CreateState\"/>; updated in place.</param>");
            writer.WriteLine("/// <param name=\"tokens\">Token ids, <c>[batch]</c>.</param>");
            writer.WriteLine("/// <param name=\"active\">Null (every sequence takes its token), or bool <c>[batch]</c>.</param>");
            writer.WriteLine(StepsPastMaxLength(spec) && !decoder
                ? "/// <exception cref=\"global::System.ArgumentException\">When the tokens or the mask have the wrong shape.</exception>"
                : $"/// <exception cref=\"global::System.ArgumentException\">When the tokens or the mask have the wrong shape, or an active sequence is at MaxLength = {Int(spec.MaxLength)}.</exception>");
            writer.WriteLine($"public {Names.Tensor} Step({(decoder ? DecoderState : State)} state, {Names.Tensor} tokens, {Names.Tensor}? active = null)");
            writer.OpenBlock();
            writer.WriteLine($"{selfState}.BeginStep(tokens, active, vocab: {Int(spec.Vocab)}, model: nameof({Names.Identifier(spec.Name)}));");
            writer.WriteLine($"using var noGrad = {Names.Torch}.no_grad();");
            writer.WriteLine($"using var scope = {Names.Torch}.NewDisposeScope();");
            string tokens = ModelModuleEmitter.EmbedTokensOfStep(spec);
            switch (spec.Positions.Kind)
            {
                case PositionEncoding.Learned:
                    writer.WriteLine($"// Embed the new tokens plus the learned vector of each sequence's position: [batch] -> [batch, 1, {Int(spec.Dim)}].");
                    writer.WriteLine($"var x = ({tokens} + position_embedding.forward({selfState}.Positions)).unsqueeze(1);");
                    break;
                case PositionEncoding.Sinusoidal:
                    writer.WriteLine($"// Embed the new tokens plus the sinusoidal row of each sequence's position: [batch] -> [batch, 1, {Int(spec.Dim)}].");
                    writer.WriteLine($"var x = ({tokens} + {selfState}.SinusoidalRows({Int(spec.Dim)})).unsqueeze(1);");
                    break;
                default:
                    writer.WriteLine($"// Embed the new tokens: [batch] -> [batch, 1, {Int(spec.Dim)}].");
                    writer.WriteLine($"var x = {tokens}.unsqueeze(1);");
                    break;
            }
            if (spec.Dropout > 0)
                writer.WriteLine($"x = {Names.Functional}.dropout(x, {SpecFormat.DoubleLiteral(spec.Dropout)}, training);");
            if (FrameFeatures.StackRunner(spec) is { } runner)
            {
                runner.EmitStepStack(writer, spec);
            }
            else
            {
                EmitLayerSteps(writer);
            }
            ModelModuleEmitter.EmitOutputHead(writer, spec, "1");
            writer.WriteLine("// The active sequences move to their next position.");
            writer.WriteLine($"{selfState}.EndStep();");
            writer.WriteLine("return logits.squeeze(1).MoveToOuterDisposeScope();");
            writer.CloseBlock();
        }

        public static void EmitBlockStep(SourceWriter writer, ModelSpec spec)
        {
            // With several declarations the field has the abstract base type; every subclass implements the step.
            string attention = spec.Attention.Count == 1 ? "attn" : $"(({AttentionInterface})attn)";
            if (FrameFeatures.StackRunner(spec) is { } runner)
            {
                runner.EmitBlockStep(writer, spec, attention);
                return;
            }
            EmitSingleStreamBlockStep(writer, spec, attention);
        }

        /// <summary>The model step's plain loop: every block steps <c>x</c> in turn, each with its layer's part of the state.</summary>
        public static void EmitLayerSteps(SourceWriter writer)
        {
            writer.WriteLine("// The blocks, each reading and updating its layer's part of the state.");
            writer.WriteLine("for (int i = 0; i < layers.Count; i++)");
            writer.Indented(() => writer.WriteLine("x = layers[i].Step(x, state, i);"));
        }

        /// <summary>
        /// The block's <c>Step</c> on one stream, after a blank line: its sublayers in order, the attention's step in place
        /// of its forward. <paramref name="attention"/> is the expression of the block's recurrent attention.
        /// </summary>
        public static void EmitSingleStreamBlockStep(SourceWriter writer, ModelSpec spec, string attention)
        {
            bool decoder = IsDecoder(spec);
            string selfState = decoder ? "state.SelfAttention" : "state";
            writer.WriteLine();
            writer.WriteLine($"/// <summary>The recurrent form of forward for one new token per sequence: <c>[batch, 1, {Int(spec.Dim)}]</c> to <c>[batch, 1, {Int(spec.Dim)}]</c>.</summary>");
            writer.WriteLine("/// <param name=\"x\">The residual stream at the new token.</param>");
            writer.WriteLine($"/// <param name=\"state\">The {(decoder ? "decoder's" : "model's recurrent")} state.</param>");
            writer.WriteLine("/// <param name=\"layer\">This block's number.</param>");
            writer.WriteLine($"public {Names.Tensor} Step({Names.Tensor} x, {(decoder ? DecoderState : State)} state, int layer)");
            writer.OpenBlock();
            if (spec.Normalization.Placement == NormPlacement.Pre)
            {
                writer.WriteLine($"x = x + {attention}.Step(attn_norm.forward(x), {selfState}, layer);");
                if (decoder)
                    writer.WriteLine("x = x + cross_attn.Step(cross_attn_norm.forward(x), state, layer);");
                writer.WriteLine("x = x + ffn.Step(ffn_norm.forward(x));");
            }
            else
            {
                writer.WriteLine($"x = attn_norm.forward(x + {attention}.Step(x, {selfState}, layer));");
                if (decoder)
                    writer.WriteLine("x = cross_attn_norm.forward(x + cross_attn.Step(x, state, layer));");
                writer.WriteLine("x = ffn_norm.forward(x + ffn.Step(x));");
            }
            writer.WriteLine("return x;");
            writer.CloseBlock();
            if (decoder)
            {
                writer.WriteLine();
                writer.WriteLine("/// <summary>This block's cross-attention keys and values of the encoder's output, for a decoder state.</summary>");
                writer.WriteLine("/// <param name=\"memory\">The encoder's output.</param>");
                writer.WriteLine($"internal {CrossKeyValues} CrossKeyValues({Names.Tensor} memory) => cross_attn.KeyValues(memory);");
            }
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
