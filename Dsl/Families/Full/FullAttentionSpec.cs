namespace XformerDsl.Specs
{
    /// <summary>Full softmax attention: every query scores every visible key. See <see cref="FullAttentionAttribute"/>.</summary>
    /// <param name="Heads">Number of heads. See <see cref="AttentionAttribute.Heads"/>.</param>
    public sealed record FullAttentionSpec(int Heads) : AttentionSpec(Heads)
    {
        /// <inheritdoc/>
        public override string AttributeName => "FullAttention";

        /// <inheritdoc/>
        public override string Complexity => "full softmax attention, quadratic: O(L²·Dim) time per layer";

        /// <summary>
        /// Scores (Q Kᵀ) and weighted values (P V) each cost Dim MACs per visible key (summed over heads). A causal
        /// query at position i (1-based) sees i keys, (L+1)/2 on average, so the total is Dim·(L+1); a bidirectional
        /// query sees all L keys, 2·Dim·L.
        /// </summary>
        public override long MixingMacsPerToken(int dim, int length, bool causal) =>
            causal ? (long)dim * (length + 1L) : 2L * dim * length;
    }
}
