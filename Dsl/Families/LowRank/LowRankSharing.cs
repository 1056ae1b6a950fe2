namespace XformerDsl
{
    /// <summary>
    /// Which length projections a <see cref="LowRankAttentionAttribute"/> layer learns (Wang et al., 2020, "Linformer:
    /// Self-Attention with Linear Complexity", §4, "parameter sharing"; fairseq's <c>shared_kv_compressed</c> and
    /// <c>shared_layer_kv_compressed</c>).
    /// </summary>
    public enum LowRankSharing
    {
        /// <summary>
        /// One E for the keys and one F for the values per layer, each shared by every head of the layer (the default):
        /// 2 · ProjectedLength · MaxLength parameters per layer.
        /// </summary>
        Headwise = 0,

        /// <summary>One projection per layer for keys and values alike (E = F): ProjectedLength · MaxLength parameters per layer.</summary>
        KeyValue = 1,

        /// <summary>
        /// One projection for keys and values of every layer (E = F, shared across layers): ProjectedLength · MaxLength
        /// parameters for the whole stack, owned by the model (<c>shared_e_proj</c>, saved once) and used by each layer
        /// declared with this sharing. Every such declaration of a stack must project to the same ProjectedLength (XF0102).
        /// </summary>
        Layerwise = 2,
    }
}
