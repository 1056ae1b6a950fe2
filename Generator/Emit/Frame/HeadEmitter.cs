using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Frame
{
    /// <summary>
    /// The model's output head when it is not the language-model head: the field, its creation and initialisation, the
    /// statements of <c>forward</c> that turn the residual stream <c>x</c> into the output, and the head's nested module.
    /// The masked-LM head is BERT's prediction head; the classification head pools (the padding mask reaches the
    /// pooling) and then applies RoBERTa's classification head. Attention pooling (a learned seed, Set Transformer's PMA)
    /// keeps its weights in the head module (<c>classifier.pool</c>).
    /// </summary>
    internal static class HeadEmitter
    {
        public const string MaskedLanguageModelClass = "MaskedLanguageModelHead";
        public const string ClassificationClass = "ClassificationHead";

        /// <summary>The head's field name (<c>mlm_head</c>, <c>classifier</c>), or null for the language-model head and hidden states.</summary>
        public static string? Field(ModelSpec spec) => spec.Head switch
        {
            MaskedLanguageModelHeadSpec => "mlm_head",
            ClassificationHeadSpec => "classifier",
            _ => null,
        };

        public static void EmitField(SourceWriter writer, ModelSpec spec)
        {
            switch (spec.Head)
            {
                case MaskedLanguageModelHeadSpec:
                    writer.WriteLine($"private readonly {MaskedLanguageModelClass} mlm_head;");
                    break;
                case ClassificationHeadSpec:
                    writer.WriteLine($"private readonly {ClassificationClass} classifier;");
                    break;
            }
        }

        public static void EmitConstruction(SourceWriter writer, ModelSpec spec)
        {
            switch (spec.Head)
            {
                case MaskedLanguageModelHeadSpec masked:
                    writer.WriteLine($"// Masked-LM head (BERT): dense, GELU, norm, then logits over {Int(spec.Vocab)} tokens{(spec.TiedEmbeddings ? " through the token embedding" : "")}; [MASK] is token {Int(masked.MaskToken)}.");
                    writer.WriteLine($"mlm_head = new {MaskedLanguageModelClass}();");
                    break;
                case ClassificationHeadSpec classification:
                    writer.WriteLine($"// Classification head (RoBERTa): pooled vector -> dense, tanh -> {Int(classification.Classes)} class logits.");
                    writer.WriteLine($"classifier = new {ClassificationClass}();");
                    break;
            }
        }

        public static void EmitInitialization(SourceWriter writer, ModelSpec spec)
        {
            if (Field(spec) is { } field)
                writer.WriteLine($"{field}.InitializeWeights();");
        }

        /// <summary>
        /// Statements that declare <c>output</c> from the normalised residual stream <c>x</c> <c>[batch, seq, Dim]</c>;
        /// <paramref name="tokenEmbeddingWeight"/> is the expression of the token-embedding matrix (tied heads).
        /// </summary>
        public static void EmitOutput(SourceWriter writer, ModelSpec spec, string tokenEmbeddingWeight)
        {
            switch (spec.Head)
            {
                case MaskedLanguageModelHeadSpec:
                    writer.WriteLine($"// Masked-LM head: [batch, seq, {Int(spec.Dim)}] -> [batch, seq, {Int(spec.Vocab)}] logits at every position.");
                    writer.WriteLine(spec.TiedEmbeddings ? $"var output = mlm_head.forward(x, {tokenEmbeddingWeight});" : "var output = mlm_head.forward(x);");
                    break;
                case ClassificationHeadSpec classification:
                    EmitPooling(writer, spec, classification);
                    writer.WriteLine($"// Classification head: [batch, {Int(spec.Dim)}] -> [batch, {Int(classification.Classes)}] logits.");
                    writer.WriteLine("var output = classifier.forward(pooled);");
                    break;
                default:
                    writer.WriteLine($"// The encoder's output: [batch, seq, {Int(spec.Dim)}], what the decoder attends to.");
                    writer.WriteLine("var output = x;");
                    break;
            }
        }

        private static void EmitPooling(SourceWriter writer, ModelSpec spec, ClassificationHeadSpec classification)
        {
            switch (classification.Pooling)
            {
                case Pooling.First:
                    writer.WriteLine($"// Pool: the first token's vector (BERT's [CLS]), [batch, seq, {Int(spec.Dim)}] -> [batch, {Int(spec.Dim)}].");
                    writer.WriteLine($"var pooled = {Names.SequencePooling}.First(x, keyPaddingMask);");
                    break;
                case Pooling.Attention:
                    writer.WriteLine($"// Pool: a learned seed attends to each sequence's real tokens (Set Transformer's PMA), [batch, seq, {Int(spec.Dim)}] -> [batch, {Int(spec.Dim)}].");
                    writer.WriteLine("var pooled = classifier.Pool(x, keyPaddingMask);");
                    break;
                default:
                    writer.WriteLine($"// Pool: the mean over each sequence's real tokens (padding left out), [batch, seq, {Int(spec.Dim)}] -> [batch, {Int(spec.Dim)}].");
                    writer.WriteLine($"var pooled = {Names.SequencePooling}.Mean(x, keyPaddingMask);");
                    break;
            }
        }

        public static void EmitNestedTypes(SourceWriter writer, ModelSpec spec)
        {
            switch (spec.Head)
            {
                case MaskedLanguageModelHeadSpec:
                    writer.WriteLine();
                    EmitMaskedLanguageModelHead(writer, spec);
                    break;
                case ClassificationHeadSpec classification:
                    writer.WriteLine();
                    EmitClassificationHead(writer, spec, classification);
                    break;
            }
        }

        private static void EmitMaskedLanguageModelHead(SourceWriter writer, ModelSpec spec)
        {
            bool tied = spec.TiedEmbeddings;
            writer.WriteLine($"/// <summary>BERT's prediction head: dense {Int(spec.Dim)} -> {Int(spec.Dim)}, GELU, norm, then logits over {Int(spec.Vocab)} tokens{(tied ? " through the token embedding, tied" : "")}.</summary>");
            writer.WriteLine($"public sealed class {MaskedLanguageModelClass} : {Names.ModuleBase}");
            writer.OpenBlock();
            writer.WriteLine($"private readonly {Names.Linear} dense;");
            writer.WriteLine($"private readonly {LayerFactories.NormType(spec)} norm;");
            if (!tied)
                writer.WriteLine($"private readonly {Names.Linear} decoder;");
            else if (spec.Bias)
                writer.WriteLine($"private readonly {Names.Parameter} bias;");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Creates the head's layers; the model's constructor initialises them.</summary>");
            writer.WriteLine($"public {MaskedLanguageModelClass}() : base(nameof({MaskedLanguageModelClass}))");
            writer.OpenBlock();
            writer.WriteLine($"dense = {LayerFactories.LinearCreate(spec, spec.Dim, spec.Dim)};");
            writer.WriteLine($"norm = {LayerFactories.NormCreate(spec)};");
            if (!tied)
                writer.WriteLine($"decoder = {LayerFactories.LinearCreate(spec, spec.Dim, spec.Vocab)};");
            else if (spec.Bias)
            {
                writer.WriteLine("// The tied matrix is the token embedding's; the head keeps its own output bias, as BERT does.");
                writer.WriteLine($"bias = new {Names.Parameter}({Names.Torch}.zeros({Int(spec.Vocab)}));");
            }
            writer.WriteLine("RegisterComponents();");
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine("internal void InitializeWeights()");
            writer.OpenBlock();
            LayerFactories.EmitLinearInit(writer, spec, "dense", LayerFactories.InitStd);
            LayerFactories.EmitNormInit(writer, spec, "norm");
            if (!tied)
                LayerFactories.EmitLinearInit(writer, spec, "decoder", LayerFactories.InitStd);
            else if (spec.Bias)
                writer.WriteLine($"{Names.Init}.zeros_(bias);");
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine($"/// <summary>Maps <c>[batch, seq, {Int(spec.Dim)}]</c> to logits <c>[batch, seq, {Int(spec.Vocab)}]</c>.</summary>");
            writer.WriteLine("/// <param name=\"x\">The encoder's output.</param>");
            if (tied)
                writer.WriteLine($"/// <param name=\"tokenEmbedding\">The token-embedding matrix <c>[{Int(spec.Vocab)}, {Int(spec.Dim)}]</c>, the tied output matrix.</param>");
            writer.WriteLine(tied ? $"public {Names.Tensor} forward({Names.Tensor} x, {Names.Tensor} tokenEmbedding)" : $"public {Names.Tensor} forward({Names.Tensor} x)");
            writer.OpenBlock();
            writer.WriteLine($"var transformed = norm.forward({Names.Functional}.gelu(dense.forward(x)));");
            writer.WriteLine(!tied ? "return decoder.forward(transformed);"
                : spec.Bias ? $"return {Names.Functional}.linear(transformed, tokenEmbedding, bias);"
                : $"return {Names.Functional}.linear(transformed, tokenEmbedding);");
            writer.CloseBlock();
            writer.CloseBlock();
        }

        private static void EmitClassificationHead(SourceWriter writer, ModelSpec spec, ClassificationHeadSpec classification)
        {
            writer.WriteLine($"/// <summary>RoBERTa's classification head: dense {Int(spec.Dim)} -> {Int(spec.Dim)}, tanh{(spec.Dropout > 0 ? ", dropout" : "")}, then {Int(classification.Classes)} class logits.</summary>");
            writer.WriteLine($"public sealed class {ClassificationClass} : {Names.ModuleBase}");
            writer.OpenBlock();
            bool attentionPooling = classification.Pooling == Pooling.Attention;
            if (attentionPooling)
            {
                writer.WriteLine("/// <summary>Attention pooling (PMA with one seed, <c>pool.seeds</c>) over the encoder's output.</summary>");
                writer.WriteLine($"private readonly {Names.PoolingByAttention} pool;");
            }
            writer.WriteLine($"private readonly {Names.Linear} dense;");
            writer.WriteLine($"private readonly {Names.Linear} out_proj;");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Creates the head's layers; the model's constructor initialises them.</summary>");
            writer.WriteLine($"public {ClassificationClass}() : base(nameof({ClassificationClass}))");
            writer.OpenBlock();
            if (attentionPooling)
            {
                writer.WriteLine($"// One seed, with the last layer's {Int(PoolingByAttentionCount.Heads(spec))} heads; a single query, so the reference attention costs O(seq).");
                writer.WriteLine($"pool = new {Names.PoolingByAttention}({Int(spec.Dim)}, {Int(PoolingByAttentionCount.Heads(spec))}, 1, bias: {SpecFormat.Bool(spec.Bias)}, rmsNorm: {SpecFormat.Bool(spec.Normalization.Kind == NormKind.RmsNorm)}, eps: {SpecFormat.DoubleLiteral(spec.Normalization.Epsilon)});");
            }
            writer.WriteLine($"dense = {LayerFactories.LinearCreate(spec, spec.Dim, spec.Dim)};");
            writer.WriteLine($"out_proj = {LayerFactories.LinearCreate(spec, spec.Dim, classification.Classes)};");
            writer.WriteLine("RegisterComponents();");
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine("internal void InitializeWeights()");
            writer.OpenBlock();
            if (attentionPooling)
                writer.WriteLine($"pool.InitializeWeights({SpecFormat.DoubleLiteral(LayerFactories.InitStd)});");
            LayerFactories.EmitLinearInit(writer, spec, "dense", LayerFactories.InitStd);
            LayerFactories.EmitLinearInit(writer, spec, "out_proj", LayerFactories.InitStd);
            writer.CloseBlock();
            if (attentionPooling)
            {
                writer.WriteLine();
                writer.WriteLine($"/// <summary>Pools <c>[batch, seq, {Int(spec.Dim)}]</c> into <c>[batch, {Int(spec.Dim)}]</c>: the seed attends to the real tokens of each sequence.</summary>");
                writer.WriteLine("/// <param name=\"x\">The encoder's output.</param>");
                writer.WriteLine("/// <param name=\"keyPaddingMask\">Null, or bool <c>[batch, seq]</c>, true for real tokens.</param>");
                writer.WriteLine($"public {Names.Tensor} Pool({Names.Tensor} x, {Names.Tensor}? keyPaddingMask) => {Names.SequencePooling}.Attention(pool, x, keyPaddingMask);");
            }
            writer.WriteLine();
            writer.WriteLine($"/// <summary>Maps pooled vectors <c>[batch, {Int(spec.Dim)}]</c> to logits <c>[batch, {Int(classification.Classes)}]</c>.</summary>");
            writer.WriteLine("/// <param name=\"pooled\">One vector per sequence.</param>");
            writer.WriteLine($"public {Names.Tensor} forward({Names.Tensor} pooled)");
            writer.OpenBlock();
            writer.WriteLine("var hidden = dense.forward(pooled).tanh();");
            if (spec.Dropout > 0)
                writer.WriteLine($"hidden = {Names.Functional}.dropout(hidden, {SpecFormat.DoubleLiteral(spec.Dropout)}, training);");
            writer.WriteLine("return out_proj.forward(hidden);");
            writer.CloseBlock();
            writer.CloseBlock();
        }

        private static string Int(long value) => SpecFormat.Int(value);
    }
}
