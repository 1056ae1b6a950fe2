namespace XformerDsl
{
    /// <summary>Where the normalization sits relative to each residual connection (<see cref="NormalizationAttribute.Placement"/>).</summary>
    public enum NormPlacement
    {
        /// <summary>
        /// Pre-norm (GPT-2 and later): <c>x = x + attn(norm(x))</c>, <c>x = x + ffn(norm(x))</c>, and a final norm
        /// (<c>final_norm</c>) before the output head. Trains stably at depth without learning-rate warm-up tricks
        /// (Xiong et al., 2020, "On Layer Normalization in the Transformer Architecture").
        /// </summary>
        Pre = 0,

        /// <summary>
        /// Post-norm (the original Transformer and BERT): <c>x = norm(x + attn(x))</c>, <c>x = norm(x + ffn(x))</c>,
        /// with no final norm. Needs warm-up to train deep stacks.
        /// </summary>
        Post = 1,
    }
}
