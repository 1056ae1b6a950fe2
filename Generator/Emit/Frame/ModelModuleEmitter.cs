using System.Linq;
using XformerDsl.Generator.Model;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Frame
{
    /// <summary>
    /// The TorchSharp module of the model: fields whose names are the PyTorch-style parameter names, a constructor with
    /// explicit GPT-2 initialisation, <c>forward</c> with the output head, then the nested modules: <c>Block</c>
    /// (<see cref="BlockEmitter"/>), the attention layers (<see cref="AttentionClassEmitter"/>) and
    /// <c>FeedForwardNetwork</c> (<see cref="FeedForwardEmitter"/>). Written to read like nanoGPT's model.py:
    /// constants inlined, one comment per step. What is not the plain frame (reversible blocks, chunked feed-forward,
    /// …) comes from the model's <see cref="FrameFeatures"/> through their <see cref="FrameFeature"/> hooks.
    /// </summary>
    internal static class ModelModuleEmitter
    {
        public static void Emit(SourceWriter writer, ModelToGenerate model)
        {
            var spec = model.Spec;
            EmitFields(writer, spec);
            writer.WriteLine();
            EmitConstructor(writer, spec);
            writer.WriteLine();
            EmitInitializeWeights(writer, spec);
            writer.WriteLine();
            EmitForward(writer, spec);
            writer.WriteLine();
            if (RecurrentEmitter.IsRecurrent(spec))
            {
                RecurrentEmitter.EmitModelStep(writer, spec);
                writer.WriteLine();
            }
            BlockEmitter.Emit(writer, spec);
            writer.WriteLine();
            AttentionClassEmitter.Emit(writer, model);
            writer.WriteLine();
            FeedForwardEmitter.Emit(writer, spec);
            foreach (var feature in FrameFeatures.Of(spec))
                feature.EmitNestedTypes(writer, spec);
        }

        private static void EmitFields(SourceWriter writer, ModelSpec spec)
        {
            writer.WriteLine("// Submodules. Field names become parameter names (token_embedding.weight, layers.0.attn.q_proj.weight, ...),");
            writer.WriteLine("// the names of the reference PyTorch implementations, so state dicts map one to one.");
            writer.WriteLine($"private readonly {Names.Embedding} token_embedding;");
            if (spec.Positions.Kind == PositionEncoding.Learned)
                writer.WriteLine($"private readonly {Names.Embedding} position_embedding;");
            writer.WriteLine($"private readonly {Names.TorchModules}.ModuleList<Block> layers;");
            if (spec.HasFinalNorm)
                writer.WriteLine($"private readonly {LayerFactories.NormType(spec)} final_norm;");
            if (!spec.TiedEmbeddings)
                writer.WriteLine($"private readonly {Names.Linear} lm_head;");
            foreach (var feature in FrameFeatures.Of(spec))
                feature.EmitFields(writer, spec);
        }

        private static void EmitConstructor(SourceWriter writer, ModelSpec spec)
        {
            writer.WriteLine($"/// <summary>Creates the model with GPT-2 initialisation, on the default device and dtype.</summary>");
            writer.WriteLine($"public {Names.Identifier(spec.Name)}() : base(nameof({Names.Identifier(spec.Name)}))");
            writer.OpenBlock();
            writer.WriteLine($"// Token embedding: token id -> vector of Dim = {Int(spec.Dim)}{(spec.TiedEmbeddings ? "; also the output head (TiedEmbeddings = true)" : "")}.");
            writer.WriteLine($"token_embedding = {Names.Nn}.Embedding({Int(spec.Vocab)}, {Int(spec.Dim)});");
            if (spec.Positions.Kind == PositionEncoding.Learned)
            {
                writer.WriteLine($"// Learned positions: position 0..{Int(spec.MaxLength - 1L)} -> vector added to the token embedding.");
                writer.WriteLine($"position_embedding = {Names.Nn}.Embedding({Int(spec.MaxLength)}, {Int(spec.Dim)});");
            }
            writer.WriteLine(spec.Attention.Count == 1
                ? $"// Depth = {Int(spec.Depth)} blocks, registered as layers.0 ... layers.{Int(spec.Depth - 1L)}."
                : $"// Depth = {Int(spec.Depth)} blocks, registered as layers.0 ... layers.{Int(spec.Depth - 1L)}, each with its layer's attention.");
            writer.WriteLine($"layers = new {Names.TorchModules}.ModuleList<Block>();");
            writer.WriteLine($"for (int i = 0; i < {Int(spec.Depth)}; i++)");
            writer.Indented(() => writer.WriteLine($"layers.Add(new Block({AttentionClassEmitter.CreateExpression(spec)}));"));
            if (spec.HasFinalNorm)
            {
                writer.WriteLine("// Pre-norm models normalise once more before the output head.");
                writer.WriteLine($"final_norm = {LayerFactories.NormCreate(spec)};");
            }
            if (!spec.TiedEmbeddings)
            {
                writer.WriteLine($"// Output head: vector -> {Int(spec.Vocab)} logits.");
                writer.WriteLine($"lm_head = {LayerFactories.LinearCreate(spec, spec.Dim, spec.Vocab)};");
            }
            foreach (var feature in FrameFeatures.Of(spec))
                feature.EmitConstruction(writer, spec);
            writer.WriteLine("RegisterComponents();");
            writer.WriteLine("InitializeWeights();");
            writer.CloseBlock();
            AttentionClassEmitter.EmitLayerChoice(writer, spec);
        }

        private static void EmitInitializeWeights(SourceWriter writer, ModelSpec spec)
        {
            writer.WriteLine($"// GPT-2 initialisation: weights ~ N(0, {Dbl(LayerFactories.InitStd)}), biases 0, norm weights 1; each block scales its residual projections.");
            writer.WriteLine("private void InitializeWeights()");
            writer.OpenBlock();
            writer.WriteLine($"{Names.Init}.normal_(token_embedding.weight!, 0.0, {Dbl(LayerFactories.InitStd)});");
            if (spec.Positions.Kind == PositionEncoding.Learned)
                writer.WriteLine($"{Names.Init}.normal_(position_embedding.weight!, 0.0, {Dbl(LayerFactories.InitStd)});");
            writer.WriteLine("foreach (var layer in layers)");
            writer.Indented(() => writer.WriteLine("layer.InitializeWeights();"));
            if (spec.HasFinalNorm)
                LayerFactories.EmitNormInit(writer, spec, "final_norm");
            if (!spec.TiedEmbeddings)
                LayerFactories.EmitLinearInit(writer, spec, "lm_head", LayerFactories.InitStd);
            foreach (var feature in FrameFeatures.Of(spec))
                feature.EmitInitialization(writer, spec);
            writer.CloseBlock();
        }

        private static void EmitForward(SourceWriter writer, ModelSpec spec)
        {
            foreach (var feature in FrameFeatures.Of(spec))
                feature.EmitMembers(writer, spec);
            // The inputs after the tokens: the padding mask, then what the frame features add.
            var parameters = new[] { new FrameParameter($"{Names.Tensor}?", "keyPaddingMask", "Null, or bool <c>[batch, seq]</c>: true for real tokens, false for padding, which no position attends to.") }
                .Concat(FrameFeatures.Of(spec).SelectMany(feature => feature.ForwardParameters(spec)))
                .ToList();
            string seqRange = $"1 ≤ seq ≤ {Int(spec.MaxLength)}";
            writer.WriteLine($"/// <summary>Logits <c>[batch, seq, {Int(spec.Vocab)}]</c> for token ids <c>[batch, seq]</c> (int64 or int32, ids in [0, {Int(spec.Vocab)}), {seqRange}).</summary>");
            writer.WriteLine("/// <param name=\"tokens\">Token ids, <c>[batch, seq]</c>.</param>");
            writer.WriteLine("/// <exception cref=\"global::System.ArgumentException\">When <paramref name=\"tokens\"/> has the wrong rank, dtype, length or ids.</exception>");
            writer.WriteLine($"public override {Names.Tensor} forward({Names.Tensor} tokens) => forward(tokens, {string.Join(", ", parameters.Select(_ => "null"))});");
            writer.WriteLine();
            writer.WriteLine($"/// <summary>Logits <c>[batch, seq, {Int(spec.Vocab)}]</c> for token ids <c>[batch, seq]</c>, with padded keys hidden from every query.</summary>");
            writer.WriteLine("/// <param name=\"tokens\">Token ids, <c>[batch, seq]</c>.</param>");
            FrameParameter.EmitDocumentation(writer, parameters);
            writer.WriteLine("/// <exception cref=\"global::System.ArgumentException\">When <paramref name=\"tokens\"/> or <paramref name=\"keyPaddingMask\"/> has the wrong shape or dtype.</exception>");
            writer.WriteLine($"public {Names.Tensor} forward({Names.Tensor} tokens, {FrameParameter.Declarations(parameters)})");
            writer.OpenBlock();
            writer.WriteLine("// Check the inputs first, so a wrong shape fails here with the shapes and the fix, not deep inside a layer.");
            writer.WriteLine($"{Names.ModelInputs}.Check(tokens, keyPaddingMask, vocab: {Int(spec.Vocab)}, maxLength: {Int(spec.MaxLength)}, model: nameof({Names.Identifier(spec.Name)}));");
            writer.WriteLine("// Intermediate tensors are disposed on return; autograd keeps what the backward pass needs.");
            writer.WriteLine($"using var scope = {Names.Torch}.NewDisposeScope();");
            writer.WriteLine("long seq = tokens.shape[1];");
            writer.WriteLine();
            switch (spec.Positions.Kind)
            {
                case PositionEncoding.Learned:
                    writer.WriteLine($"// Embed: token vectors plus learned position vectors, [batch, seq] -> [batch, seq, {Int(spec.Dim)}].");
                    writer.WriteLine($"var positions = {Names.Torch}.arange(seq, dtype: {Names.Torch}.int64, device: tokens.device);");
                    writer.WriteLine("var x = token_embedding.forward(tokens) + position_embedding.forward(positions);");
                    break;
                case PositionEncoding.Sinusoidal:
                    writer.WriteLine($"// Embed: token vectors plus the fixed sinusoidal table, [batch, seq] -> [batch, seq, {Int(spec.Dim)}].");
                    writer.WriteLine("var x = token_embedding.forward(tokens);");
                    writer.WriteLine($"x = x + {Names.SinusoidalPositions}.Table(seq, dim: {Int(spec.Dim)}, x.device, x.dtype);");
                    break;
                default:
                    writer.WriteLine($"// Embed: token vectors, [batch, seq] -> [batch, seq, {Int(spec.Dim)}]; {(spec.Positions.Kind == PositionEncoding.Rotary ? "positions enter as rotations inside attention" : "no position information (Positions.Kind = None)")}.");
                    writer.WriteLine("var x = token_embedding.forward(tokens);");
                    break;
            }
            if (spec.Dropout > 0)
                writer.WriteLine($"x = {Names.Functional}.dropout(x, {Dbl(spec.Dropout)}, training);");
            if (spec.Positions.Kind == PositionEncoding.Rotary)
            {
                // Every attention declaration has this head size (XF0026).
                int headDim = spec.HeadDimOf(spec.Attention[0].Attention);
                writer.WriteLine($"// Rotary angles for positions 0..seq-1, shared by every layer: cos and sin, [seq, {Int(headDim)}] each.");
                writer.WriteLine($"var rotary = {Names.RotaryEmbedding}.Tables(seq, headDim: {Int(headDim)}, rotaryBase: {Dbl(spec.Positions.RotaryBase)}, x.device, x.dtype);");
            }
            writer.WriteLine();
            string blockArguments = FrameParameter.Arguments(BlockEmitter.ForwardParameters(spec));
            if (FrameFeatures.StackRunner(spec) is { } runner)
            {
                runner.EmitStack(writer, spec, blockArguments);
            }
            else
            {
                writer.WriteLine("// The blocks, each adding attention and then feed-forward to the residual stream.");
                writer.WriteLine("foreach (var layer in layers)");
                writer.Indented(() => writer.WriteLine($"x = layer.forward(x, {blockArguments});"));
            }
            writer.WriteLine();
            EmitOutputHead(writer, spec, "seq");
            writer.WriteLine("return logits.MoveToOuterDisposeScope();");
            writer.CloseBlock();
        }

        /// <summary>Declares <c>logits</c> from the residual stream <c>x</c>, <c>[batch, {seq}, Dim]</c>: the final norm (pre-norm), then the head.</summary>
        internal static void EmitOutputHead(SourceWriter writer, ModelSpec spec, string seq)
        {
            if (spec.HasFinalNorm)
            {
                writer.WriteLine("// Final norm, then the output head.");
                writer.WriteLine("x = final_norm.forward(x);");
            }
            if (spec.TiedEmbeddings)
            {
                writer.WriteLine($"// Output head tied to the token embedding: logits = x · Eᵀ, [batch, {seq}, {Int(spec.Dim)}] -> [batch, {seq}, {Int(spec.Vocab)}].");
                writer.WriteLine($"var logits = {Names.Functional}.linear(x, token_embedding.weight!);");
            }
            else
            {
                writer.WriteLine($"// Output head: [batch, {seq}, {Int(spec.Dim)}] -> [batch, {seq}, {Int(spec.Vocab)}] logits.");
                writer.WriteLine("var logits = lm_head.forward(x);");
            }
        }

        private static string Int(long value) => SpecFormat.Int(value);

        private static string Dbl(double value) => SpecFormat.DoubleLiteral(value);
    }
}
