namespace XformerDsl.Generator.Emit.Kernels
{
    /// <summary>
    /// What a fused softmax kernel's scores are made of. A kernel without a bias is emitted exactly as before the bias
    /// existed (same code, same speed); the bias is the shared additive tile step synthesizers, relative-position biases
    /// and ALiBi need; Transformer-XL's relative term is computed in the tile from its distance rows instead of read.
    /// </summary>
    internal enum KernelScores
    {
        /// <summary><c>scale·Q·Kᵀ</c>: every kernel until the score bias.</summary>
        QueryKey,

        /// <summary><c>scale·Q·Kᵀ + B</c>, with a learnable bias B per (head, query, key): the kernel implements <c>IFusedBiasedAttentionKernel</c>.</summary>
        QueryKeyAndBias,

        /// <summary><c>B</c> alone: no score product and no query or key gradients (a pure synthesizer).</summary>
        BiasOnly,

        /// <summary>
        /// <c>scale·((Q + u)·Kᵀ + (Q + v)·P[t])</c>, Transformer-XL's relative-position term read per tile from the distance
        /// rows P the tile spans: the kernel implements <c>IFusedRelativeAttentionKernel</c>.
        /// </summary>
        QueryKeyAndRelativePositions,
    }
}
