namespace XformerDsl
{
    /// <summary>How the model learns where each token is (<see cref="PositionsAttribute.Kind"/>).</summary>
    public enum PositionEncoding
    {
        /// <summary>
        /// A learned table <c>position_embedding</c> of MaxLength × Dim added to the token embeddings (GPT-2, BERT).
        /// Costs MaxLength·Dim parameters and cannot run beyond MaxLength.
        /// </summary>
        Learned = 0,

        /// <summary>
        /// The fixed sine/cosine table of Vaswani et al. (2017) added to the token embeddings:
        /// <c>PE[p, 2i] = sin(p / 10000^(2i/Dim))</c>, <c>PE[p, 2i+1] = cos(p / 10000^(2i/Dim))</c>. No parameters.
        /// </summary>
        Sinusoidal = 1,

        /// <summary>
        /// Rotary position embedding (RoPE; Su et al., 2021, "RoFormer"): queries and keys are rotated by
        /// position-dependent angles inside every attention layer, so scores depend on relative positions.
        /// No parameters; needs an even head size (Dim / Heads). Uses the "rotate half" pairing of GPT-NeoX and
        /// Hugging Face LLaMA. See <see cref="PositionsAttribute.RotaryBase"/>.
        /// </summary>
        Rotary = 2,

        /// <summary>
        /// No position information at all. A causal model can still infer positions from the mask
        /// (Haviv et al., 2022, "Transformer Language Models without Positional Encodings Still Learn Positional Information");
        /// a bidirectional encoder becomes a bag of tokens.
        /// </summary>
        None = 3,

        /// <summary>
        /// Transformer-XL's relative positions (Dai et al., 2019): nothing is added to the embeddings; each score adds a
        /// term of the query and the projected sinusoid of the query–key distance, so positions stay meaningful across
        /// segments of a stream. Computed by <see cref="SegmentRecurrenceAttribute"/>, which needs it (XF0142); without
        /// that attention there is nothing to compute them (XF0143).
        /// </summary>
        Relative = 4,
    }
}
