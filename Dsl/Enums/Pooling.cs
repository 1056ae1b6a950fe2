namespace XformerDsl
{
    /// <summary>
    /// How a <see cref="ClassificationHeadAttribute"/> turns the encoder's vectors <c>[batch, seq, Dim]</c> into one
    /// vector per sequence <c>[batch, Dim]</c>. Padding (false in the padding mask) never enters the pooled vector.
    /// </summary>
    public enum Pooling
    {
        /// <summary>
        /// The mean over the real tokens of each sequence (Sentence-BERT's default). Needs no special token and is the
        /// safer choice when the inputs do not start with one.
        /// </summary>
        Mean = 0,

        /// <summary>
        /// The vector of the first token (BERT's <c>[CLS]</c>, RoBERTa's <c>&lt;s&gt;</c>): put a token of your choosing at
        /// position 0 of every sequence; bidirectional attention lets it gather the whole sequence.
        /// </summary>
        First = 1,

        /// <summary>
        /// A learned seed vector attends over the real tokens of each sequence (Set Transformer's pooling by multihead
        /// attention, PMA with one seed; Lee et al., 2019): <c>H = norm(S + Attention(S, X))</c>, pooled
        /// <c>= norm(H + relu(Linear(H)))</c>, with the last layer's heads. Padding is masked out of the attention, and
        /// the pooled vector does not depend on the order of the tokens.
        /// </summary>
        Attention = 2,
    }
}
