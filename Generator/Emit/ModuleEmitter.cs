using System;
using XformerDsl.Generator.Model;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit
{
    /// <summary>
    /// The TorchSharp module: fields whose names are the PyTorch-style parameter names, a constructor with explicit
    /// GPT-2 initialisation, <c>forward</c>, and the nested <c>Block</c> and <c>FeedForwardNetwork</c> modules, with
    /// the attention modules from <see cref="AttentionClassEmitter"/>. Written to read like nanoGPT's model.py:
    /// constants inlined, one comment per step.
    /// </summary>
    internal static class ModuleEmitter
    {
        /// <summary>GPT-2's standard deviation for every weight matrix and embedding.</summary>
        internal const double InitStd = 0.02;

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
            EmitBlock(writer, spec);
            writer.WriteLine();
            AttentionClassEmitter.Emit(writer, model);
            writer.WriteLine();
            EmitFeedForward(writer, spec);
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
                writer.WriteLine($"private readonly {NormType(spec)} final_norm;");
            if (!spec.TiedEmbeddings)
                writer.WriteLine($"private readonly {Names.Linear} lm_head;");
        }

        private static void EmitConstructor(SourceWriter writer, ModelSpec spec)
        {
            writer.WriteLine($"/// <summary>Creates the model with GPT-2 initialisation, on the default device and dtype.</summary>");
            writer.WriteLine($"public {spec.Name}() : base(nameof({spec.Name}))");
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
                writer.WriteLine($"final_norm = {NormCreate(spec)};");
            }
            if (!spec.TiedEmbeddings)
            {
                writer.WriteLine($"// Output head: vector -> {Int(spec.Vocab)} logits.");
                writer.WriteLine($"lm_head = {LinearCreate(spec, spec.Dim, spec.Vocab)};");
            }
            writer.WriteLine("RegisterComponents();");
            writer.WriteLine("InitializeWeights();");
            writer.CloseBlock();
            AttentionClassEmitter.EmitLayerChoice(writer, spec);
        }

        private static void EmitInitializeWeights(SourceWriter writer, ModelSpec spec)
        {
            writer.WriteLine($"// GPT-2 initialisation: weights ~ N(0, {Dbl(InitStd)}), biases 0, norm weights 1; each block scales its residual projections.");
            writer.WriteLine("private void InitializeWeights()");
            writer.OpenBlock();
            writer.WriteLine($"{Names.Init}.normal_(token_embedding.weight!, 0.0, {Dbl(InitStd)});");
            if (spec.Positions.Kind == PositionEncoding.Learned)
                writer.WriteLine($"{Names.Init}.normal_(position_embedding.weight!, 0.0, {Dbl(InitStd)});");
            writer.WriteLine("foreach (var layer in layers)");
            writer.Indented(() => writer.WriteLine("layer.InitializeWeights();"));
            if (spec.HasFinalNorm)
                EmitNormInit(writer, spec, "final_norm");
            if (!spec.TiedEmbeddings)
                EmitLinearInit(writer, spec, "lm_head", InitStd);
            writer.CloseBlock();
        }

        private static void EmitForward(SourceWriter writer, ModelSpec spec)
        {
            if (spec.Reversible)
            {
                writer.WriteLine("/// <summary>");
                writer.WriteLine("/// True (default): training reconstructs each reversible block's inputs from its outputs in the backward pass, so");
                writer.WriteLine("/// activation memory does not grow with Depth. False: the blocks store their activations as a plain network does;");
                writer.WriteLine("/// the same function and gradients with more memory, for checking and measuring.");
                writer.WriteLine("/// </summary>");
                writer.WriteLine("public bool ReconstructInBackward { get; set; } = true;");
                writer.WriteLine();
            }
            string seqRange = $"1 ≤ seq ≤ {Int(spec.MaxLength)}";
            writer.WriteLine($"/// <summary>Logits <c>[batch, seq, {Int(spec.Vocab)}]</c> for token ids <c>[batch, seq]</c> (int64 or int32, ids in [0, {Int(spec.Vocab)}), {seqRange}).</summary>");
            writer.WriteLine("/// <param name=\"tokens\">Token ids, <c>[batch, seq]</c>.</param>");
            writer.WriteLine("/// <exception cref=\"global::System.ArgumentException\">When <paramref name=\"tokens\"/> has the wrong rank, dtype, length or ids.</exception>");
            writer.WriteLine($"public override {Names.Tensor} forward({Names.Tensor} tokens) => forward(tokens, null);");
            writer.WriteLine();
            writer.WriteLine($"/// <summary>Logits <c>[batch, seq, {Int(spec.Vocab)}]</c> for token ids <c>[batch, seq]</c>, with padded keys hidden from every query.</summary>");
            writer.WriteLine("/// <param name=\"tokens\">Token ids, <c>[batch, seq]</c>.</param>");
            writer.WriteLine("/// <param name=\"keyPaddingMask\">Null, or bool <c>[batch, seq]</c>: true for real tokens, false for padding, which no position attends to.</param>");
            writer.WriteLine("/// <exception cref=\"global::System.ArgumentException\">When <paramref name=\"tokens\"/> or <paramref name=\"keyPaddingMask\"/> has the wrong shape or dtype.</exception>");
            writer.WriteLine($"public {Names.Tensor} forward({Names.Tensor} tokens, {Names.Tensor}? keyPaddingMask)");
            writer.OpenBlock();
            writer.WriteLine("// Check the inputs first, so a wrong shape fails here with the shapes and the fix, not deep inside a layer.");
            writer.WriteLine($"{Names.ModelInputs}.Check(tokens, keyPaddingMask, vocab: {Int(spec.Vocab)}, maxLength: {Int(spec.MaxLength)}, model: nameof({spec.Name}));");
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
            if (spec.Reversible)
            {
                writer.WriteLine("// Reversible blocks (Reformer): two streams, both starting as the embedding; each block adds attention of the");
                writer.WriteLine("// second stream to the first and feed-forward of the new first stream to the second. The backward pass");
                writer.WriteLine("// reconstructs each block's inputs from its outputs instead of storing them. The streams are averaged at the end.");
                writer.WriteLine($"var blocks = new {Names.ReversibleBlock}[{Int(spec.Depth)}];");
                writer.WriteLine($"for (int i = 0; i < {Int(spec.Depth)}; i++)");
                writer.Indented(() => writer.WriteLine(spec.Positions.Kind == PositionEncoding.Rotary
                    ? "blocks[i] = layers[i].Reversible(keyPaddingMask, rotary);"
                    : "blocks[i] = layers[i].Reversible(keyPaddingMask);"));
                writer.WriteLine(spec.Positions.Kind == PositionEncoding.Rotary
                    ? $"var (x1, x2) = {Names.ReversibleLayers}.Apply(x, x, blocks, storeActivations: !ReconstructInBackward, shared: new[] {{ rotary.Cos, rotary.Sin }});"
                    : $"var (x1, x2) = {Names.ReversibleLayers}.Apply(x, x, blocks, storeActivations: !ReconstructInBackward);");
                writer.WriteLine("x = (x1 + x2) * 0.5;");
            }
            else
            {
                writer.WriteLine("// The blocks, each adding attention and then feed-forward to the residual stream.");
                writer.WriteLine("foreach (var layer in layers)");
                writer.Indented(() => writer.WriteLine(spec.Positions.Kind == PositionEncoding.Rotary
                    ? "x = layer.forward(x, keyPaddingMask, rotary);"
                    : "x = layer.forward(x, keyPaddingMask);"));
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

        private static void EmitBlock(SourceWriter writer, ModelSpec spec)
        {
            bool pre = spec.Normalization.Placement == NormPlacement.Pre;
            bool rotary = spec.Positions.Kind == PositionEncoding.Rotary;
            string norm = spec.Normalization.Kind == NormKind.RmsNorm ? "RMSNorm" : "LayerNorm";
            writer.WriteLine($"/// <summary>One transformer block: {(pre ? "pre-norm" : "post-norm")} ({norm}) attention, then feed-forward, each with a residual connection.</summary>");
            writer.WriteLine($"public sealed class Block : {Names.ModuleBase}");
            writer.OpenBlock();
            writer.WriteLine($"private readonly {NormType(spec)} attn_norm;");
            writer.WriteLine($"private readonly {AttentionClassEmitter.BaseClassName} attn;");
            writer.WriteLine($"private readonly {NormType(spec)} ffn_norm;");
            writer.WriteLine("private readonly FeedForwardNetwork ffn;");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Creates the block's submodules around its attention; the model's constructor initialises them.</summary>");
            writer.WriteLine($"public Block({AttentionClassEmitter.BaseClassName} attention) : base(nameof(Block))");
            writer.OpenBlock();
            writer.WriteLine($"attn_norm = {NormCreate(spec)};");
            writer.WriteLine("attn = attention;");
            writer.WriteLine($"ffn_norm = {NormCreate(spec)};");
            writer.WriteLine("ffn = new FeedForwardNetwork();");
            writer.WriteLine("RegisterComponents();");
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine("internal void InitializeWeights()");
            writer.OpenBlock();
            EmitNormInit(writer, spec, "attn_norm");
            writer.WriteLine("attn.InitializeWeights();");
            EmitNormInit(writer, spec, "ffn_norm");
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

        private static void EmitFeedForward(SourceWriter writer, ModelSpec spec)
        {
            var ffn = spec.FeedForward;
            bool swiGlu = ffn.Activation == Activation.SwiGlu;
            string formula = swiGlu ? "down(silu(gate(x)) ⊙ up(x))" : $"down({(ffn.Activation == Activation.Relu ? "relu" : "gelu")}(up(x)))";
            writer.WriteLine($"/// <summary>The position-wise feed-forward network, {formula}, hidden width {Int(ffn.Hidden)}.</summary>");
            writer.WriteLine($"public sealed class FeedForwardNetwork : {Names.ModuleBase}");
            writer.OpenBlock();
            if (swiGlu)
                writer.WriteLine($"private readonly {Names.Linear} gate_proj;");
            writer.WriteLine($"private readonly {Names.Linear} up_proj;");
            writer.WriteLine($"private readonly {Names.Linear} down_proj;");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Creates the projections.</summary>");
            writer.WriteLine("public FeedForwardNetwork() : base(nameof(FeedForwardNetwork))");
            writer.OpenBlock();
            if (swiGlu)
                writer.WriteLine($"gate_proj = {LinearCreate(spec, spec.Dim, ffn.Hidden)};");
            writer.WriteLine($"up_proj = {LinearCreate(spec, spec.Dim, ffn.Hidden)};");
            writer.WriteLine($"down_proj = {LinearCreate(spec, ffn.Hidden, spec.Dim)};");
            writer.WriteLine("RegisterComponents();");
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine("internal void InitializeWeights()");
            writer.OpenBlock();
            if (swiGlu)
                EmitLinearInit(writer, spec, "gate_proj", InitStd);
            EmitLinearInit(writer, spec, "up_proj", InitStd);
            writer.WriteLine($"// The down projection feeds the residual stream: std 0.02 / √(2·Depth) = 0.02 / √{Int(2L * spec.Depth)} (GPT-2).");
            EmitLinearInit(writer, spec, "down_proj", ResidualStd(spec));
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine($"/// <summary>Maps <c>[batch, seq, {Int(spec.Dim)}]</c> to <c>[batch, seq, {Int(spec.Dim)}]</c>.</summary>");
            writer.WriteLine("/// <param name=\"x\">The normalised residual stream.</param>");
            int chunkLength = ffn.ChunkLength(spec.MaxLength);
            bool chunked = ffn.Chunks > 1;
            if (chunked)
            {
                writer.WriteLine($"public {Names.Tensor} forward({Names.Tensor} x)");
                writer.OpenBlock();
                writer.WriteLine($"// Chunks = {Int(ffn.Chunks)}: pieces of MaxLength / Chunks = {Int(chunkLength)} positions, forward and backward; the backward");
                writer.WriteLine($"// pass recomputes each piece's [batch, {Int(chunkLength)}, {Int(ffn.Hidden)}] activations instead of storing them for the whole sequence.");
                writer.WriteLine($"return {Names.SequenceChunks}.Apply(Compute, x, chunkLength: {Int(chunkLength)}, parameters());");
                writer.CloseBlock();
                writer.WriteLine();
                writer.WriteLine("// The network on one piece of the sequence (every position independently).");
                writer.WriteLine($"private {Names.Tensor} Compute({Names.Tensor} x)");
            }
            else
            {
                writer.WriteLine($"public {Names.Tensor} forward({Names.Tensor} x)");
            }
            writer.OpenBlock();
            writer.WriteLine($"// {formula}: [batch, seq, {Int(spec.Dim)}] -> [batch, seq, {Int(ffn.Hidden)}] -> [batch, seq, {Int(spec.Dim)}].");
            switch (ffn.Activation)
            {
                case Activation.SwiGlu:
                    writer.WriteLine($"var hidden = {Names.Functional}.silu(gate_proj.forward(x)) * up_proj.forward(x);");
                    break;
                case Activation.Relu:
                    writer.WriteLine($"var hidden = {Names.Functional}.relu(up_proj.forward(x));");
                    break;
                default:
                    writer.WriteLine($"var hidden = {Names.Functional}.gelu(up_proj.forward(x));");
                    break;
            }
            writer.WriteLine(spec.Dropout > 0
                ? $"return {Names.Functional}.dropout(down_proj.forward(hidden), {Dbl(spec.Dropout)}, training);"
                : "return down_proj.forward(hidden);");
            writer.CloseBlock();
            writer.CloseBlock();
        }

        private static string NormType(ModelSpec spec) =>
            spec.Normalization.Kind == NormKind.RmsNorm ? Names.RmsNorm : Names.LayerNorm;

        private static string NormCreate(ModelSpec spec) =>
            spec.Normalization.Kind == NormKind.RmsNorm
                ? $"new {Names.RmsNorm}({Int(spec.Dim)}, eps: {Dbl(spec.Normalization.Epsilon)})"
                : $"{Names.Nn}.LayerNorm({Int(spec.Dim)}, eps: {Dbl(spec.Normalization.Epsilon)}, bias: {SpecFormat.Bool(spec.Bias)})";

        private static void EmitNormInit(SourceWriter writer, ModelSpec spec, string field)
        {
            writer.WriteLine($"{Names.Init}.ones_({field}.weight);");
            if (spec.Normalization.Kind == NormKind.LayerNorm && spec.Bias)
                writer.WriteLine($"{Names.Init}.zeros_({field}.bias!);");
        }

        internal static string LinearCreate(ModelSpec spec, long inputs, long outputs) =>
            $"{Names.Nn}.Linear({Int(inputs)}, {Int(outputs)}, hasBias: {SpecFormat.Bool(spec.Bias)})";

        internal static void EmitLinearInit(SourceWriter writer, ModelSpec spec, string field, double std)
        {
            writer.WriteLine($"{Names.Init}.normal_({field}.weight, 0.0, {Dbl(std)});");
            if (spec.Bias)
                writer.WriteLine($"{Names.Init}.zeros_({field}.bias!);");
        }

        internal static double ResidualStd(ModelSpec spec) => InitStd / Math.Sqrt(2.0 * spec.Depth);

        private static string Int(long value) => SpecFormat.Int(value);

        private static string Dbl(double value) => SpecFormat.DoubleLiteral(value);
    }
}
