using XformerDsl.Generator.Model;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Frame
{
    /// <summary>
    /// The module of an encoder–decoder: two submodules, <c>encoder</c> and <c>decoder</c>, and a <c>forward</c> that
    /// encodes the source and decodes the target against it. Each stack is emitted as a model of its own
    /// (<see cref="ModelSpec.EncoderStack"/>, <see cref="ModelSpec.DecoderStack"/>) by <see cref="ModelModuleEmitter"/>,
    /// nested as <c>Encoder</c> and <c>Decoder</c>, so each has its own blocks, attention classes and kernels, and the
    /// parameter names come out as PyTorch's: <c>encoder.layers.0.attn.q_proj.weight</c>, <c>decoder.layers.0.cross_attn.k_proj.weight</c>.
    /// </summary>
    internal static class EncoderDecoderEmitter
    {
        public static void Emit(SourceWriter writer, ModelToGenerate model)
        {
            var spec = model.Spec;
            var encoder = spec.Encoder!;
            string name = Names.Identifier(spec.Name);
            writer.WriteLine("// The two stacks. Their fields become the first part of every parameter name: encoder.layers.0.attn.q_proj.weight,");
            writer.WriteLine("// decoder.layers.0.cross_attn.k_proj.weight, decoder.lm_head.weight, ...");
            writer.WriteLine("private readonly Encoder encoder;");
            writer.WriteLine("private readonly Decoder decoder;");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Creates the model with GPT-2 initialisation, on the default device and dtype.</summary>");
            writer.WriteLine($"public {name}() : base(nameof({name}))");
            writer.OpenBlock();
            writer.WriteLine($"// The encoder reads the source: {Int(encoder.Depth)} bidirectional blocks over up to {Int(encoder.MaxLength)} tokens of vocabulary {Int(encoder.Vocab)}.");
            writer.WriteLine("encoder = new Encoder();");
            if (encoder.SharedEmbeddings)
            {
                writer.WriteLine($"// The decoder writes the target: {Int(spec.Depth)} causal blocks, each also attending to the encoder's output;");
                writer.WriteLine("// it embeds with the encoder's token embedding (SharedEmbeddings = true), registered once, under encoder.");
                writer.WriteLine("decoder = new Decoder(() => encoder.TokenEmbedding);");
            }
            else
            {
                writer.WriteLine($"// The decoder writes the target: {Int(spec.Depth)} causal blocks, each also attending to the encoder's output.");
                writer.WriteLine("decoder = new Decoder();");
            }
            writer.WriteLine("RegisterComponents();");
            writer.CloseBlock();
            writer.WriteLine();

            writer.WriteLine($"/// <summary>Next-token logits <c>[batch, seq, {Int(spec.Vocab)}]</c> for target ids <c>[batch, seq]</c> given source ids <c>[batch, sourceSeq]</c>, without padding.</summary>");
            writer.WriteLine("/// <param name=\"source\">Source token ids, <c>[batch, sourceSeq]</c>.</param>");
            writer.WriteLine("/// <param name=\"target\">Target token ids, <c>[batch, seq]</c>: the decoder's input (teacher forcing: the target so far, shifted right behind a start token).</param>");
            writer.WriteLine($"public override {Names.Tensor} forward({Names.Tensor} source, {Names.Tensor} target) => forward(source, target, null, null);");
            writer.WriteLine();
            writer.WriteLine($"/// <summary>Next-token logits <c>[batch, seq, {Int(spec.Vocab)}]</c> for target ids given source ids, with padding hidden on both sides.</summary>");
            writer.WriteLine("/// <param name=\"source\">Source token ids, <c>[batch, sourceSeq]</c>.</param>");
            writer.WriteLine("/// <param name=\"target\">Target token ids, <c>[batch, seq]</c>.</param>");
            writer.WriteLine("/// <param name=\"sourcePaddingMask\">Null, or bool <c>[batch, sourceSeq]</c>, true for real source tokens; padding is hidden from the encoder and from cross-attention.</param>");
            writer.WriteLine("/// <param name=\"targetPaddingMask\">Null, or bool <c>[batch, seq]</c>, true for real target tokens.</param>");
            writer.WriteLine("/// <exception cref=\"global::System.ArgumentException\">When an input has the wrong shape, dtype, length or ids, or source and target batches differ.</exception>");
            writer.WriteLine($"public {Names.Tensor} forward({Names.Tensor} source, {Names.Tensor} target, {Names.Tensor}? sourcePaddingMask, {Names.Tensor}? targetPaddingMask)");
            writer.OpenBlock();
            writer.WriteLine($"{Names.ModelInputs}.CheckPair(source, target, model: nameof({name}));");
            writer.WriteLine($"using var scope = {Names.Torch}.NewDisposeScope();");
            writer.WriteLine($"// Encode the source once: [batch, sourceSeq] -> [batch, sourceSeq, {Int(spec.Dim)}].");
            writer.WriteLine("var memory = encoder.forward(source, sourcePaddingMask);");
            writer.WriteLine("// Decode: causal self-attention over the target, cross-attention to the memory (source padding hidden), feed-forward.");
            writer.WriteLine("return decoder.forward(target, targetPaddingMask, memory, sourcePaddingMask).MoveToOuterDisposeScope();");
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine($"/// <summary>The encoder's output <c>[batch, sourceSeq, {Int(spec.Dim)}]</c> for source ids <c>[batch, sourceSeq]</c>: what every decoder layer attends to.</summary>");
            writer.WriteLine("/// <param name=\"source\">Source token ids.</param>");
            writer.WriteLine("/// <param name=\"sourcePaddingMask\">Null, or bool <c>[batch, sourceSeq]</c>, true for real source tokens.</param>");
            writer.WriteLine($"public {Names.Tensor} EncodeSource({Names.Tensor} source, {Names.Tensor}? sourcePaddingMask = null) => encoder.forward(source, sourcePaddingMask);");
            writer.WriteLine();
            writer.WriteLine($"/// <summary>Next-token logits <c>[batch, seq, {Int(spec.Vocab)}]</c> for target ids, attending to an encoded source (<see cref=\"EncodeSource\"/>).</summary>");
            writer.WriteLine("/// <param name=\"target\">Target token ids, <c>[batch, seq]</c>.</param>");
            writer.WriteLine("/// <param name=\"targetPaddingMask\">Null, or bool <c>[batch, seq]</c>, true for real target tokens.</param>");
            writer.WriteLine("/// <param name=\"memory\">The encoder's output.</param>");
            writer.WriteLine("/// <param name=\"memoryPaddingMask\">Null, or the source padding mask.</param>");
            writer.WriteLine($"public {Names.Tensor} DecodeTarget({Names.Tensor} target, {Names.Tensor}? targetPaddingMask, {Names.Tensor} memory, {Names.Tensor}? memoryPaddingMask = null) =>");
            writer.Indented(() => writer.WriteLine("decoder.forward(target, targetPaddingMask, memory, memoryPaddingMask);"));
            writer.WriteLine();

            if (RecurrentEmitter.IsRecurrentEncoderDecoder(spec))
                EmitGeneration(writer, spec);

            var encoderModel = model with { Spec = spec.EncoderStack() };
            writer.WriteLine($"/// <summary>The encoder: source ids <c>[batch, sourceSeq]</c> to vectors <c>[batch, sourceSeq, {Int(spec.Dim)}]</c>, {Int(encoder.Depth)} bidirectional blocks.</summary>");
            writer.WriteLine($"public sealed class Encoder : {Names.ModuleBase}<{Names.Tensor}, {Names.Tensor}>");
            writer.OpenBlock();
            writer.WriteLine($"/// <summary>The token-embedding matrix <c>[{Int(encoder.Vocab)}, {Int(spec.Dim)}]</c>.</summary>");
            writer.WriteLine($"internal {Names.Tensor} TokenEmbedding => token_embedding.weight!;");
            writer.WriteLine();
            ModelModuleEmitter.Emit(writer, encoderModel);
            writer.CloseBlock();
            writer.WriteLine();

            var decoderModel = model with { Spec = spec.DecoderStack() };
            writer.WriteLine($"/// <summary>The decoder: target ids <c>[batch, seq]</c> and the encoder's output to next-token logits <c>[batch, seq, {Int(spec.Vocab)}]</c>, {Int(spec.Depth)} causal blocks with cross-attention.</summary>");
            writer.WriteLine($"public sealed class Decoder : {Names.ModuleBase}");
            writer.OpenBlock();
            ModelModuleEmitter.Emit(writer, decoderModel);
            writer.CloseBlock();
        }

        // IEncoderDecoderModel: encode once, then step the decoder from a state holding each layer's cross-attention keys and values.
        private static void EmitGeneration(SourceWriter writer, ModelSpec spec)
        {
            string state = RecurrentEmitter.DecoderState, encoded = RecurrentEmitter.EncodedSource;
            writer.WriteLine("/// <summary>Runs the encoder once for generation (no gradients): its output and the source padding mask.</summary>");
            writer.WriteLine("/// <param name=\"source\">Source token ids, <c>[batch, sourceSeq]</c>.</param>");
            writer.WriteLine("/// <param name=\"sourcePaddingMask\">Null, or bool <c>[batch, sourceSeq]</c>, true for real source tokens.</param>");
            writer.WriteLine($"public {encoded} Encode({Names.Tensor} source, {Names.Tensor}? sourcePaddingMask)");
            writer.OpenBlock();
            writer.WriteLine($"using var noGrad = {Names.Torch}.no_grad();");
            writer.WriteLine($"return new {encoded}(encoder.forward(source, sourcePaddingMask), sourcePaddingMask);");
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine("/// <summary>A decoder state for generating from <paramref name=\"encoded\"/>: each target at position 0, each layer's cross-attention keys and values computed once.</summary>");
            writer.WriteLine("/// <param name=\"encoded\">From <see cref=\"Encode\"/>.</param>");
            writer.WriteLine($"public {state} CreateDecoderState({encoded} encoded) => decoder.CreateState(encoded);");
            writer.WriteLine();
            writer.WriteLine($"/// <summary>Feeds one target token per sequence and returns the next-token logits <c>[batch, {Int(spec.Vocab)}]</c>: equal to <c>forward</c> at each position.</summary>");
            writer.WriteLine("/// <param name=\"state\">From <see cref=\"CreateDecoderState\"/>; updated in place.</param>");
            writer.WriteLine("/// <param name=\"tokens\">Token ids, <c>[batch]</c>.</param>");
            writer.WriteLine("/// <param name=\"active\">Null (every sequence takes its token), or bool <c>[batch]</c>.</param>");
            writer.WriteLine($"public {Names.Tensor} Step({state} state, {Names.Tensor} tokens, {Names.Tensor}? active = null) => decoder.Step(state, tokens, active);");
            writer.WriteLine();
        }

        private static string Int(long value) => SpecFormat.Int(value);
    }
}
