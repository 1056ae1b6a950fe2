namespace XformerDsl
{
    /// <summary>
    /// Which stack of an encoder–decoder (a model with <see cref="EncoderAttribute"/>) an attention declaration applies
    /// to (<see cref="AttentionAttribute.Stack"/>). In a model without an encoder there is one stack, and only
    /// <see cref="Both"/> means anything.
    /// </summary>
    public enum ModelStack
    {
        /// <summary>The default: every stack the model has, each choosing its layers by Layers and Every on its own depth.</summary>
        Both = 0,

        /// <summary>The encoder's self-attention only: bidirectional, over the source.</summary>
        Encoder = 1,

        /// <summary>The decoder's self-attention only: causal, over the target. Cross-attention is always full attention.</summary>
        Decoder = 2,
    }
}
