using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using XformerDsl.Specs;

namespace XformerDsl
{
    /// <summary>
    /// What a model costs, computed from its <see cref="ModelSpec"/> alone: the generator prints it in the XML doc of
    /// the generated class at compile time, and the class exposes it as the static <c>Card</c> property.
    /// <para>
    /// Parameter counts are exact: they equal the element count of the module's <c>parameters()</c>.
    /// MACs (multiply-accumulates) per token are defined as the MACs of one forward pass over a full sequence of
    /// <c>length</c> tokens divided by <c>length</c>, counting the Q/K/V/output projections, the attention score and
    /// value products (a causal query at position i sees i keys, (length+1)/2 on average), the feed-forward matrices
    /// and the output head; and excluding embedding lookups, position encodings, norms, activations, softmax, biases
    /// and dropout, which are linear in Dim and small beside the matrix products. FLOPs ≈ 2 × MACs.
    /// </para>
    /// </summary>
    public sealed record ModelCard
    {
        /// <summary>The card of a spec without checking it: for the budget rule, which runs once every other rule passes.</summary>
        internal static ModelCard Unchecked(ModelSpec spec) => new ModelCard(spec);

        private ModelCard(ModelSpec spec)
        {
            Spec = spec;
            if (spec.Encoder is not null)
            {
                // An encoder–decoder costs its two stacks; a shared embedding is the encoder's and counted there.
                var encoder = new ModelCard(spec.EncoderStack());
                var decoder = new ModelCard(spec.DecoderStack());
                EncoderCard = encoder;
                DecoderCard = decoder;
                EmbeddingParameters = encoder.EmbeddingParameters + decoder.EmbeddingParameters;
                FeedForwardParametersPerLayer = decoder.FeedForwardParametersPerLayer;
                AttentionParameters = encoder.AttentionParameters + decoder.AttentionParameters;
                LayerParameters = encoder.LayerParameters + decoder.LayerParameters;
                HeadParameters = encoder.HeadParameters + decoder.HeadParameters;
                ParameterCount = encoder.ParameterCount + decoder.ParameterCount;
                MacsPerTokenAtMaxLength = MacsPerToken(spec.MaxLength);
                return;
            }

            long dim = spec.Dim, vocab = spec.Vocab;
            long norm = NormParameters(spec);
            var ffn = spec.FeedForward;
            var attentionOfLayer = spec.AttentionIndexOfLayers();
            bool ownTokenEmbedding = spec.CrossAttention is not { SharedEmbeddings: true };

            EmbeddingParameters = (ownTokenEmbedding ? vocab * dim : 0) + (spec.Positions.Kind == PositionEncoding.Learned ? (long)spec.MaxLength * dim : 0);
            FeedForwardParametersPerLayer = ffn.MatrixCount * dim * ffn.Hidden + (spec.Bias ? (ffn.MatrixCount - 1L) * ffn.Hidden + dim : 0);
            AttentionParameters = Enumerable.Range(0, attentionOfLayer.Count).Sum(layer => spec.Attention[attentionOfLayer[layer]].Attention.ParametersOfLayer(spec, layer))
                + (spec.CrossAttention is null ? 0 : spec.Depth * CrossAttentionParametersPerLayer(spec));
            int sublayers = spec.CrossAttention is null ? 2 : 3;
            LayerParameters = spec.Depth * (sublayers * norm + FeedForwardParametersPerLayer) + AttentionParameters;
            long head = spec.Head is { } declared ? declared.Parameters(spec)
                : spec.TiedEmbeddings ? 0 : vocab * dim + (spec.Bias ? vocab : 0);
            HeadParameters = (spec.HasFinalNorm ? norm : 0) + head;
            ParameterCount = EmbeddingParameters + LayerParameters + HeadParameters;
            MacsPerTokenAtMaxLength = MacsPerToken(spec.MaxLength);
        }

        // Four Dim × Dim projections (queries from the decoder, keys and values from the encoder's output, output).
        private static long CrossAttentionParametersPerLayer(ModelSpec spec) => 4L * spec.Dim * spec.Dim + (spec.Bias ? 4L * spec.Dim : 0);

        /// <summary>The card of <paramref name="spec"/>; throws <see cref="ArgumentException"/> when the spec breaks a rule.</summary>
        public static ModelCard Of(ModelSpec spec) => new ModelCard((spec ?? throw new ArgumentNullException(nameof(spec))).EnsureValid());

        /// <summary>The architecture this card describes.</summary>
        public ModelSpec Spec { get; }

        /// <summary>For an encoder–decoder, the card of its encoder (<see cref="ModelSpec.EncoderStack"/>); null otherwise.</summary>
        public ModelCard? EncoderCard { get; }

        /// <summary>For an encoder–decoder, the card of its decoder (<see cref="ModelSpec.DecoderStack"/>); null otherwise.</summary>
        public ModelCard? DecoderCard { get; }

        /// <summary>Total number of trainable scalars (tied matrices counted once).</summary>
        public long ParameterCount { get; }

        /// <summary>Token embedding plus, for learned positions, the position table.</summary>
        public long EmbeddingParameters { get; }

        /// <summary>Parameters of all blocks: their norms, attention and feed-forward.</summary>
        public long LayerParameters { get; }

        /// <summary>The attention parameters of all blocks (projections, and whatever else their families have).</summary>
        public long AttentionParameters { get; }

        /// <summary>Feed-forward matrices of one block (with biases when declared).</summary>
        public long FeedForwardParametersPerLayer { get; }

        /// <summary>Final norm (pre-norm only) plus the output head (zero when tied to the embedding).</summary>
        public long HeadParameters { get; }

        /// <summary>Bytes the parameters take as float32.</summary>
        public long ParameterBytesFloat32 => ParameterCount * 4;

        /// <summary><see cref="MacsPerToken"/> at the model's MaxLength.</summary>
        public long MacsPerTokenAtMaxLength { get; }

        /// <summary>
        /// How attention cost grows with the sequence length L: the family's cost, or, when layers mix families, each
        /// family's cost and its layers.
        /// </summary>
        public string AttentionComplexity
        {
            get
            {
                if (EncoderCard is not null && DecoderCard is not null)
                    return $"encoder: {EncoderCard.AttentionComplexity}; decoder: {DecoderCard.AttentionComplexity}; cross-attention: full, O(T·S·Dim) per layer for T target and S source tokens";
                if (Spec.Attention.Count == 1)
                    return Spec.Attention[0].Attention.Complexity;
                var attentionOfLayer = Spec.AttentionIndexOfLayers();
                return string.Join("; ", Enumerable.Range(0, Spec.Attention.Count).Select(i =>
                {
                    var layers = Enumerable.Range(0, Spec.Depth).Where(layer => attentionOfLayer[layer] == i).ToList();
                    string where = layers.Count == 1 ? "layer " + layers[0] : "layers " + string.Join(", ", layers);
                    return where + ": " + Spec.Attention[i].Attention.Complexity;
                }));
            }
        }

        /// <summary>
        /// MACs per token, averaged over a full sequence of <paramref name="length"/> tokens (see the class summary for
        /// exactly what is counted): the sum over layers of projections, attention mixing and feed-forward, plus Vocab·Dim.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">When <paramref name="length"/> is not positive.</exception>
        public long MacsPerToken(int length)
        {
            if (length < 1)
                throw new ArgumentOutOfRangeException(nameof(length), length, "The sequence length must be at least 1.");
            if (EncoderCard is not null && DecoderCard is not null)
                return EncoderCard.MacsPerToken(length) + DecoderCard.MacsPerToken(length);
            var (attention, crossAttention, feedForward) = StackMacsPerToken(length);
            long layers = attention + crossAttention + feedForward;
            long head = Spec.Head is { } declared ? declared.MacsPerSequence(Spec, length) / length : (long)Spec.Vocab * Spec.Dim;
            return layers + head;
        }

        /// <summary>
        /// Multiply-accumulates of one sentence of <paramref name="length"/> tokens through the model's stacks: an
        /// encoder–decoder's encoder over a source of <paramref name="length"/> tokens and its decoder over a target of as
        /// many (cross-attention to that source included), a model of one stack over the sentence. Counted as
        /// <see cref="MacsPerToken"/> counts (projections, attention scores and values, convolutions, feed-forward) but
        /// without the output head and the embeddings: Lite Transformer's convention (its Mult-Adds are torchprofile's count
        /// for <c>nn.Transformer</c> on a 30-token source and target, which has neither), so the paper's 100M and 500M
        /// budgets compare directly.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">When <paramref name="length"/> is not positive.</exception>
        public long MultAddsPerSentence(int length) => MultAddsParts(length).Sum(part => part.MultAdds);

        /// <summary>
        /// <see cref="MultAddsPerSentence"/> by part: attention (of each stack), cross-attention, feed-forward, in model order.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">When <paramref name="length"/> is not positive.</exception>
        public IReadOnlyList<(string Part, long MultAdds)> MultAddsParts(int length)
        {
            if (length < 1)
                throw new ArgumentOutOfRangeException(nameof(length), length, "The sentence length must be at least 1.");
            if (EncoderCard is not null && DecoderCard is not null)
                return EncoderCard.MultAddsParts(length).Select(part => ("encoder " + part.Part, part.MultAdds))
                    .Concat(DecoderCard.MultAddsParts(length).Select(part => ("decoder " + part.Part, part.MultAdds)))
                    .ToList();
            var (attention, crossAttention, feedForward) = StackMacsPerToken(length);
            var parts = new List<(string, long)> { (Spec.CrossAttention is null ? "attention" : "self-attention", attention * length) };
            if (Spec.CrossAttention is not null)
                parts.Add(("cross-attention", crossAttention * length));
            parts.Add(("feed-forward", feedForward * length));
            return parts;
        }

        // One stack's MACs per token over a sequence of `length`, summed over its layers: attention (each layer's family),
        // cross-attention to a source as long (four projections, scores and values over the source), feed-forward.
        private (long Attention, long CrossAttention, long FeedForward) StackMacsPerToken(int length)
        {
            long dim = Spec.Dim;
            var attentionOfLayer = Spec.AttentionIndexOfLayers();
            long attention = Enumerable.Range(0, attentionOfLayer.Count).Sum(layer =>
                Spec.Attention[attentionOfLayer[layer]].Attention.MacsPerTokenOfLayer(Spec, layer, length));
            long crossAttention = Spec.CrossAttention is null ? 0 : Spec.Depth * (4 * dim * dim + 2L * length * dim);
            long feedForward = Spec.Depth * Spec.FeedForward.MatrixCount * dim * Spec.FeedForward.Hidden;
            return (attention, crossAttention, feedForward);
        }

        /// <summary>
        /// The card as short sentences (parameter count, MACs per token at MaxLength, attention cost), the text the
        /// generator puts in the XML doc of the model class.
        /// </summary>
        public string[] Describe() => new[]
        {
            EncoderCard is not null && DecoderCard is not null
                ? $"Parameters: {Grouped(ParameterCount)} ({Grouped(EmbeddingParameters)} embedding, {Grouped(EncoderCard.LayerParameters)} in {EncoderCard.Spec.Depth} encoder layers, {Grouped(DecoderCard.LayerParameters)} in {Spec.Depth} decoder layers with cross-attention, {Grouped(HeadParameters)} final norms and head), {Mebibytes(ParameterBytesFloat32)} MiB as float32."
                : $"Parameters: {Grouped(ParameterCount)} ({Grouped(EmbeddingParameters)} embedding, {Grouped(LayerParameters)} in {Spec.Depth} layers, {Grouped(HeadParameters)} head), {Mebibytes(ParameterBytesFloat32)} MiB as float32.",
            EncoderCard is not null
                ? $"MACs per target token at MaxLength = {Grouped(Spec.MaxLength)}, with a source as long: {Grouped(MacsPerTokenAtMaxLength)} (both stacks: projections, attention scores and values, cross-attention, feed-forward, output head; embedding lookups, norms and softmax excluded)."
                : $"MACs per token at MaxLength = {Grouped(Spec.MaxLength)}: {Grouped(MacsPerTokenAtMaxLength)} (projections, attention scores and values, feed-forward, output head; embedding lookups, norms and softmax excluded).",
            $"Attention: {AttentionComplexity}.",
        }.Concat(Spec.Budget is { } budget
            ? new[] { $"Mult-Adds per sentence of {Grouped(budget.SentenceLength)} tokens: {Grouped(MultAddsPerSentence(budget.SentenceLength))}, within MultAddsBudget = {Grouped(budget.MultAdds)} (stacks only; embeddings and output head excluded, as Lite Transformer counts)." }
            : Array.Empty<string>()).ToArray();

        /// <summary>The card as one line per fact.</summary>
        public override string ToString() => Spec.Name + ": " + string.Join(" ", Describe());

        /// <summary>Parameters of one norm of <paramref name="spec"/>: weight, and bias for a LayerNorm with Bias.</summary>
        internal static long NormParameters(ModelSpec spec) =>
            spec.Normalization.Kind == NormKind.LayerNorm && spec.Bias ? 2L * spec.Dim : spec.Dim;

        internal static string Grouped(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

        private static string Mebibytes(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0.0", CultureInfo.InvariantCulture);
    }
}
