namespace XformerDsl
{
    /// <summary>
    /// How a <see cref="SynthesizerAttentionAttribute"/> layer synthesizes its attention logits (Tay, Bahri, Metzler, Juan,
    /// Zhao &amp; Zheng, 2021, "Synthesizer: Rethinking Self-Attention in Transformer Models", §3). A sequence shorter
    /// than MaxLength uses the first L rows and columns of the synthetic logits.
    /// </summary>
    public enum SynthesizerMode
    {
        /// <summary>
        /// Random synthesizer (the default): a learned <c>[Heads, MaxLength, MaxLength]</c> logit matrix per layer,
        /// independent of the input. Heads · MaxLength² parameters per layer.
        /// </summary>
        Random = 0,

        /// <summary>
        /// Factorized random synthesizer: the logits are <c>R₁·R₂ᵀ</c> with learned <c>R₁, R₂</c> of shape
        /// <c>[Heads, MaxLength, Factor]</c>. 2 · Heads · MaxLength · Factor parameters per layer.
        /// </summary>
        FactorizedRandom = 1,

        /// <summary>
        /// Dense synthesizer: each token's row of logits comes from the token alone, Linear(Dim → Dim) → ReLU → per head
        /// Linear(HeadDim → MaxLength).
        /// </summary>
        Dense = 2,

        /// <summary>
        /// Factorized dense synthesizer: per token and head, two short vectors A (Factor values) and B (MaxLength / Factor
        /// values) whose outer product, flattened, is the token's row of MaxLength logits.
        /// </summary>
        FactorizedDense = 3,
    }
}
