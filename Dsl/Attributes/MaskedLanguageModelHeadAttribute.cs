using System;

namespace XformerDsl
{
    /// <summary>
    /// Makes a bidirectional <see cref="TransformerAttribute"/> (<c>Causal = false</c>) a masked language model (BERT):
    /// <c>forward(tokens, keyPaddingMask)</c> returns logits <c>[batch, seq, Vocab]</c> for every position, through
    /// BERT's prediction head: <c>mlm_head.dense</c> (Dim → Dim), GELU, <c>mlm_head.norm</c>, then the vocabulary
    /// projection (<c>mlm_head.decoder</c>, or the token embedding with its own <c>mlm_head.bias</c> when
    /// <see cref="TransformerAttribute.TiedEmbeddings"/>, as BERT ties them). The trainer trains it on BERT's objective:
    /// 15 % of the real tokens are chosen, of those 80 % become <see cref="MaskToken"/>, 10 % a random token and
    /// 10 % stay, and the loss is taken on the chosen positions only.
    /// </summary>
    /// <example>
    /// <code>
    /// [Transformer(Vocab = 257, Dim = 128, Depth = 4, MaxLength = 256, Causal = false, TiedEmbeddings = true)]
    /// [FullAttention(Heads = 4)]
    /// [MaskedLanguageModelHead(MaskToken = 256)]
    /// public partial class TinyBert;
    /// </code>
    /// </example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
    public sealed class MaskedLanguageModelHeadAttribute : Attribute
    {
        /// <summary>
        /// Required. The token id of BERT's <c>[MASK]</c>: from 0 to Vocab − 1, and best an id the data never holds
        /// (for bytes, declare Vocab = 257 and MaskToken = 256).
        /// </summary>
        public int MaskToken { get; set; }
    }
}
