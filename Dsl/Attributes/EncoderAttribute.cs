using System;
using XformerDsl.Specs;

namespace XformerDsl
{
    /// <summary>
    /// Makes the <see cref="TransformerAttribute"/> model an encoder–decoder (Vaswani et al., 2017): an encoder reads the
    /// source, and the <c>[Transformer]</c>, which declares the target side (its Vocab, Depth and MaxLength are the
    /// target's, and it must be causal), becomes the decoder, each of its blocks attending first to the target so far
    /// (causal self-attention), then to the whole encoder output (full cross-attention, <c>cross_attn</c>), then
    /// feed-forward. Width, norms, positions, feed-forward, bias and dropout are the <c>[Transformer]</c>'s, for both
    /// stacks. Attention attributes apply to both stacks unless their <see cref="AttentionAttribute.Stack"/> says which.
    /// The generated class maps <c>forward(source, target)</c> to target logits, and generates with
    /// <c>Seq2SeqGenerator</c> (greedy and beam search).
    /// Parameter names follow PyTorch: <c>encoder.layers.0.attn.q_proj.weight</c>,
    /// <c>decoder.layers.0.cross_attn.k_proj.weight</c>, <c>decoder.lm_head.weight</c>.
    /// </summary>
    /// <example>
    /// <code>
    /// [Transformer(Vocab = 64, Dim = 256, Depth = 3, MaxLength = 48)]          // the decoder: target side
    /// [Encoder(Depth = 3, MaxLength = 64, SharedEmbeddings = true)]          // the source side
    /// [FullAttention(Heads = 4)]                                              // both stacks' self-attention
    /// public partial class DateTranslator;
    /// </code>
    /// </example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
    public sealed class EncoderAttribute : Attribute
    {
        /// <summary>Required. Number of encoder blocks. Range 1 to 1,024.</summary>
        public int Depth { get; set; }

        /// <summary>
        /// The source vocabulary size: source token ids run from 0 to Vocab − 1. 0 (the default) means the target's,
        /// <see cref="TransformerAttribute.Vocab"/>. Range 1 to 16,777,216.
        /// </summary>
        public int Vocab { get; set; }

        /// <summary>
        /// The longest source the model accepts, in tokens. 0 (the default) means the target's,
        /// <see cref="TransformerAttribute.MaxLength"/>. Range 1 to 1,048,576.
        /// </summary>
        public int MaxLength { get; set; }

        /// <summary>
        /// False (default): the encoder and the decoder each have a token embedding. True: one embedding serves both
        /// (<c>encoder.token_embedding.weight</c>; fairseq's <c>--share-all-embeddings</c>), which needs one vocabulary
        /// for source and target. With <see cref="TransformerAttribute.TiedEmbeddings"/> it is also the output head.
        /// </summary>
        public bool SharedEmbeddings { get; set; } = SpecDefaults.SharedEmbeddings;

        /// <summary>
        /// Heads of every decoder layer's cross-attention. 0 (the default) means as many as the decoder's first attention
        /// declaration. Must divide Dim. Range 1 to 1,024.
        /// </summary>
        public int CrossAttentionHeads { get; set; }
    }
}
