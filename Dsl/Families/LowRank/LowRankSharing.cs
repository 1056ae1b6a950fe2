namespace XformerDsl
{
    /// <summary>
    /// Which length projections a <see cref="LowRankAttentionAttribute"/> layer learns (Wang et al., 2020, "Linformer:
    /// Self-Attention with Linear Complexity", §4, "parameter sharing"; fairseq's <c>shared_kv_compressed</c>).
    /// The paper's third mode, one projection for every layer (layerwise), needs a parameter owned by the model rather
    /// than by a layer and is not offered yet.
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
    }
}
