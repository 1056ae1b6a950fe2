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
            HeadEmitter.EmitNestedTypes(writer, spec);
            foreach (var feature in FrameFeatures.Of(spec))
                feature.EmitNestedTypes(writer, spec);
        }

        /// <summary>
        /// True when the token embedding is the model's own field; false in the decoder of an encoder–decoder with
        /// SharedEmbeddings, which reads the encoder's through <see cref="SharedEmbeddingField"/>.
        /// </summary>
        internal static bool HasOwnTokenEmbedding(ModelSpec spec) => spec.CrossAttention is not { SharedEmbeddings: true };

        /// <summary>The field of a decoder that shares the encoder's embedding: a delegate, so the matrix is registered once, under <c>encoder</c>.</summary>
        internal const string SharedEmbeddingField = "sharedTokenEmbedding";

        /// <summary>The expression of the token-embedding matrix <c>[Vocab, Dim]</c>.</summary>
        internal static string TokenEmbeddingWeight(ModelSpec spec) =>
            HasOwnTokenEmbedding(spec) ? "token_embedding.weight!" : SharedEmbeddingField + "()";

        // The token vectors of `tokens`, [batch, seq] -> [batch, seq, Dim].
        private static string EmbedTokens(ModelSpec spec) =>
            HasOwnTokenEmbedding(spec) ? "token_embedding.forward(tokens)"
            : $"{EmbedTokensOfStep(spec)}.view(tokens.shape[0], seq, {Int(spec.Dim)})";

        /// <summary>The token vectors of a step's <c>tokens</c>, <c>[batch]</c> -> <c>[batch, Dim]</c>.</summary>
        internal static string EmbedTokensOfStep(ModelSpec spec) =>
            HasOwnTokenEmbedding(spec) ? "token_embedding.forward(tokens)" : $"{SharedEmbeddingField}().index_select(0, tokens.reshape(-1))";

        private static void EmitFields(SourceWriter writer, ModelSpec spec)
        {
            writer.WriteLine("// Submodules. Field names become parameter names (token_embedding.weight, layers.0.attn.q_proj.weight, ...),");
            writer.WriteLine("// the names of the reference PyTorch implementations, so state dicts map one to one.");
            if (HasOwnTokenEmbedding(spec))
                writer.WriteLine($"private readonly {Names.Embedding} token_embedding;");
            else
                writer.WriteLine($"private readonly global::System.Func<{Names.Tensor}> {SharedEmbeddingField};");
            if (spec.Positions.Kind == PositionEncoding.Learned)
                writer.WriteLine($"private readonly {Names.Embedding} position_embedding;");
            writer.WriteLine($"private readonly {Names.TorchModules}.ModuleList<Block> layers;");
            foreach (var shared in AttentionClassEmitter.ModelParameters(spec))
            {
                writer.WriteLine($"/// <summary>{shared.Documentation}</summary>");
                writer.WriteLine($"private readonly {Names.Parameter} {shared.Field};");
            }
            if (spec.HasFinalNorm)
                writer.WriteLine($"private readonly {LayerFactories.NormType(spec)} final_norm;");
            if (spec.Head is null && !spec.TiedEmbeddings)
                writer.WriteLine($"private readonly {Names.Linear} lm_head;");
            HeadEmitter.EmitField(writer, spec);
            foreach (var feature in FrameFeatures.Of(spec))
                feature.EmitFields(writer, spec);
        }

        private static void EmitConstructor(SourceWriter writer, ModelSpec spec)
        {
            writer.WriteLine($"/// <summary>Creates the model with GPT-2 initialisation, on the default device and dtype.</summary>");
            if (HasOwnTokenEmbedding(spec))
            {
                writer.WriteLine($"public {Names.Identifier(spec.Name)}() : base(nameof({Names.Identifier(spec.Name)}))");
                writer.OpenBlock();
                writer.WriteLine($"// Token embedding: token id -> vector of Dim = {Int(spec.Dim)}{(spec.TiedEmbeddings ? "; also the output head (TiedEmbeddings = true)" : "")}.");
                writer.WriteLine($"token_embedding = {Names.Nn}.Embedding({Int(spec.Vocab)}, {Int(spec.Dim)});");
            }
            else
            {
                writer.WriteLine($"/// <param name=\"sharedTokenEmbedding\">The encoder's token-embedding matrix (SharedEmbeddings = true).</param>");
                writer.WriteLine($"public {Names.Identifier(spec.Name)}(global::System.Func<{Names.Tensor}> sharedTokenEmbedding) : base(nameof({Names.Identifier(spec.Name)}))");
                writer.OpenBlock();
                writer.WriteLine($"// Token embedding: the encoder's (SharedEmbeddings = true){(spec.TiedEmbeddings ? ", also the output head (TiedEmbeddings = true)" : "")}.");
                writer.WriteLine($"this.{SharedEmbeddingField} = sharedTokenEmbedding;");
            }
            if (spec.Positions.Kind == PositionEncoding.Learned)
            {
                writer.WriteLine($"// Learned positions: position 0..{Int(spec.MaxLength - 1L)} -> vector added to the token embedding.");
                writer.WriteLine($"position_embedding = {Names.Nn}.Embedding({Int(spec.MaxLength)}, {Int(spec.Dim)});");
            }
            writer.WriteLine(spec.Attention.Count == 1
                ? $"// Depth = {Int(spec.Depth)} blocks, registered as layers.0 ... layers.{Int(spec.Depth - 1L)}."
                : $"// Depth = {Int(spec.Depth)} blocks, registered as layers.0 ... layers.{Int(spec.Depth - 1L)}, each with its layer's attention.");
            foreach (var shared in AttentionClassEmitter.ModelParameters(spec))
            {
                writer.WriteLine($"// Owned here and read by every layer that uses it, so it is one parameter: saved once, stepped once.");
                writer.WriteLine($"{shared.Field} = {shared.Create};");
            }
            writer.WriteLine($"layers = new {Names.TorchModules}.ModuleList<Block>();");
            writer.WriteLine($"for (int i = 0; i < {Int(spec.Depth)}; i++)");
            writer.Indented(() => writer.WriteLine($"layers.Add(new Block({AttentionClassEmitter.CreateExpression(spec)}));"));
            if (spec.HasFinalNorm)
            {
                writer.WriteLine("// Pre-norm models normalise once more before the output head.");
                writer.WriteLine($"final_norm = {LayerFactories.NormCreate(spec)};");
            }
            if (spec.Head is null && !spec.TiedEmbeddings)
            {
                writer.WriteLine($"// Output head: vector -> {Int(spec.Vocab)} logits.");
                writer.WriteLine($"lm_head = {LayerFactories.LinearCreate(spec, spec.Dim, spec.Vocab)};");
            }
            HeadEmitter.EmitConstruction(writer, spec);
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
            if (HasOwnTokenEmbedding(spec))
                writer.WriteLine($"{Names.Init}.normal_(token_embedding.weight!, 0.0, {Dbl(LayerFactories.InitStd)});");
            if (spec.Positions.Kind == PositionEncoding.Learned)
                writer.WriteLine($"{Names.Init}.normal_(position_embedding.weight!, 0.0, {Dbl(LayerFactories.InitStd)});");
            writer.WriteLine("foreach (var layer in layers)");
            writer.Indented(() => writer.WriteLine("layer.InitializeWeights();"));
            foreach (var shared in AttentionClassEmitter.ModelParameters(spec))
                writer.WriteLine(shared.Initialize);
            if (spec.HasFinalNorm)
                LayerFactories.EmitNormInit(writer, spec, "final_norm");
            if (spec.Head is null && !spec.TiedEmbeddings)
                LayerFactories.EmitLinearInit(writer, spec, "lm_head", LayerFactories.InitStd);
            HeadEmitter.EmitInitialization(writer, spec);
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
            string output = Capitalized(spec.Head?.Output(spec) ?? $"logits <c>[batch, seq, {Int(spec.Vocab)}]</c>");
            // A decoder of an encoder–decoder needs the encoder's output, so it has no one-argument forward.
            if (spec.CrossAttention is null)
            {
                writer.WriteLine($"/// <summary>{output} for token ids <c>[batch, seq]</c> (int64 or int32, ids in [0, {Int(spec.Vocab)}), {seqRange}).</summary>");
                writer.WriteLine("/// <param name=\"tokens\">Token ids, <c>[batch, seq]</c>.</param>");
                writer.WriteLine("/// <exception cref=\"global::System.ArgumentException\">When <paramref name=\"tokens\"/> has the wrong rank, dtype, length or ids.</exception>");
                writer.WriteLine($"public override {Names.Tensor} forward({Names.Tensor} tokens) => forward(tokens, {string.Join(", ", parameters.Select(_ => "null"))});");
                writer.WriteLine();
            }
            writer.WriteLine(spec.CrossAttention is null
                ? $"/// <summary>{output} for token ids <c>[batch, seq]</c>, with padded keys hidden from every query.</summary>"
                : $"/// <summary>{output} for target token ids <c>[batch, seq]</c> (ids in [0, {Int(spec.Vocab)}), {seqRange}), each block attending to the encoder's output; padded keys are hidden.</summary>");
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
                    writer.WriteLine($"var x = {EmbedTokens(spec)} + position_embedding.forward(positions);");
                    break;
                case PositionEncoding.Sinusoidal:
                    writer.WriteLine($"// Embed: token vectors plus the fixed sinusoidal table, [batch, seq] -> [batch, seq, {Int(spec.Dim)}].");
                    writer.WriteLine($"var x = {EmbedTokens(spec)};");
                    writer.WriteLine($"x = x + {Names.SinusoidalPositions}.Table(seq, dim: {Int(spec.Dim)}, x.device, x.dtype);");
                    break;
                default:
                    writer.WriteLine($"// Embed: token vectors, [batch, seq] -> [batch, seq, {Int(spec.Dim)}]; {EmbeddedPositions(spec.Positions.Kind)}.");
                    writer.WriteLine($"var x = {EmbedTokens(spec)};");
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
            if (spec.Head is null)
            {
                EmitOutputHead(writer, spec, "seq");
                writer.WriteLine("return logits.MoveToOuterDisposeScope();");
            }
            else
            {
                if (spec.HasFinalNorm)
                {
                    writer.WriteLine("// Final norm (pre-norm models normalise once more after the last block).");
                    writer.WriteLine("x = final_norm.forward(x);");
                }
                HeadEmitter.EmitOutput(writer, spec, TokenEmbeddingWeight(spec));
                writer.WriteLine("return output.MoveToOuterDisposeScope();");
            }
            writer.CloseBlock();
        }

        // What the embedding comment says of positions that are not added to it.
        private static string EmbeddedPositions(PositionEncoding kind) => kind switch
        {
            PositionEncoding.Rotary => "positions enter as rotations inside attention",
            PositionEncoding.Relative => "positions enter as relative distances inside attention",
            _ => "no position information (Positions.Kind = None)",
        };

        private static string Capitalized(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text.Substring(1);

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
                writer.WriteLine(seq == "1"
                    ? $"var logits = {Names.TokenLinear}.Forward({TokenEmbeddingWeight(spec)}, null, x);"
                    : $"var logits = {Names.Functional}.linear(x, {TokenEmbeddingWeight(spec)});");
            }
            else
            {
                writer.WriteLine($"// Output head: [batch, {seq}, {Int(spec.Dim)}] -> [batch, {seq}, {Int(spec.Vocab)}] logits.");
                writer.WriteLine($"var logits = {(seq == "1" ? LayerFactories.StepLinear("lm_head", "x") : "lm_head.forward(x)")};");
            }
        }

        private static string Int(long value) => SpecFormat.Int(value);

        private static string Dbl(double value) => SpecFormat.DoubleLiteral(value);
    }
}
