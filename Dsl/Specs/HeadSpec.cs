using System;

namespace XformerDsl.Specs
{
    /// <summary>
    /// What a model puts on top of its last block, when it is not the language-model head (next-token logits over the
    /// vocabulary, <see cref="ModelSpec.Head"/> = null). A closed family: one record per head attribute, plus
    /// <see cref="HiddenStatesHeadSpec"/> for the encoder stack of an encoder–decoder.
    /// </summary>
    public abstract record HeadSpec
    {
        private protected HeadSpec()
        {
        }

        /// <summary>The attribute that declares this head, without <c>Attribute</c>: <c>ClassificationHead</c>.</summary>
        public abstract string AttributeName { get; }

        /// <summary>Parameters of the head after the final norm (<paramref name="spec"/> gives Dim, Vocab, Bias and ties).</summary>
        public abstract long Parameters(ModelSpec spec);

        /// <summary>MACs of the head for a sequence of <paramref name="length"/> tokens.</summary>
        public abstract long MacsPerSequence(ModelSpec spec, int length);

        /// <summary>What <c>forward</c> returns, for documentation: <c>logits [batch, 4]</c>.</summary>
        public abstract string Output(ModelSpec spec);
    }

    /// <summary>
    /// <c>[ClassificationHead]</c>: the encoder's output pooled over the real tokens of each sequence, then RoBERTa's
    /// classification head (dense Dim → Dim, tanh, dropout, Dim → Classes). See <see cref="ClassificationHeadAttribute"/>.
    /// </summary>
    /// <param name="Classes">Number of classes.</param>
    /// <param name="Pooling">How the sequence becomes one vector.</param>
    public sealed record ClassificationHeadSpec(int Classes, Pooling Pooling) : HeadSpec
    {
        /// <inheritdoc/>
        public override string AttributeName => "ClassificationHead";

        /// <inheritdoc/>
        public override long Parameters(ModelSpec spec)
        {
            long dim = spec.Dim;
            return dim * dim + dim * Classes + (spec.Bias ? dim + Classes : 0) + PoolingParameters(spec);
        }

        /// <inheritdoc/>
        public override long MacsPerSequence(ModelSpec spec, int length) =>
            (long)spec.Dim * spec.Dim + (long)spec.Dim * Classes + (Pooling == Pooling.Attention ? PoolingByAttentionCount.MacsPerSequence(spec, 1, length) : 0);

        // Only attention pooling has weights: one seed and its attention block (PMA with one seed).
        private long PoolingParameters(ModelSpec spec) => Pooling == Pooling.Attention ? PoolingByAttentionCount.Parameters(spec, 1) : 0;

        /// <inheritdoc/>
        public override string Output(ModelSpec spec) => $"logits <c>[batch, {SpecFormat.Int(Classes)}]</c>, one row per sequence";
    }

    /// <summary>
    /// <c>[MaskedLanguageModelHead]</c>: BERT's prediction head (dense Dim → Dim, GELU, norm, vocabulary projection) at every
    /// position. See <see cref="MaskedLanguageModelHeadAttribute"/>.
    /// </summary>
    /// <param name="MaskToken">The token id of <c>[MASK]</c>.</param>
    public sealed record MaskedLanguageModelHeadSpec(int MaskToken) : HeadSpec
    {
        /// <inheritdoc/>
        public override string AttributeName => "MaskedLanguageModelHead";

        /// <inheritdoc/>
        public override long Parameters(ModelSpec spec)
        {
            long dim = spec.Dim, vocab = spec.Vocab;
            long transform = dim * dim + (spec.Bias ? dim : 0) + ModelCard.NormParameters(spec);
            return transform + (spec.TiedEmbeddings ? 0 : vocab * dim) + (spec.Bias ? vocab : 0);
        }

        /// <inheritdoc/>
        public override long MacsPerSequence(ModelSpec spec, int length) => (long)length * ((long)spec.Dim * spec.Dim + (long)spec.Vocab * spec.Dim);

        /// <inheritdoc/>
        public override string Output(ModelSpec spec) => $"logits <c>[batch, seq, {SpecFormat.Int(spec.Vocab)}]</c> at every position";
    }

    /// <summary>
    /// No head: the stack's output vectors, after the final norm of a pre-norm model. The encoder of an encoder–decoder
    /// (<see cref="ModelSpec.EncoderStack"/>), whose output the decoder attends to.
    /// </summary>
    public sealed record HiddenStatesHeadSpec : HeadSpec
    {
        /// <summary>The one instance.</summary>
        public static HiddenStatesHeadSpec Instance { get; } = new HiddenStatesHeadSpec();

        /// <inheritdoc/>
        public override string AttributeName => "Encoder";

        /// <inheritdoc/>
        public override long Parameters(ModelSpec spec) => 0;

        /// <inheritdoc/>
        public override long MacsPerSequence(ModelSpec spec, int length) => 0;

        /// <inheritdoc/>
        public override string Output(ModelSpec spec) => $"vectors <c>[batch, seq, {SpecFormat.Int(spec.Dim)}]</c>";
    }
}
