namespace XformerDsl
{
    /// <summary>
    /// The feature map φ of a kernelized linear attention (<see cref="LinearAttentionAttribute.Kernel"/>): attention
    /// weights are <c>φ(q)·φ(k)</c> normalised over the visible keys, which lets the layer compute
    /// <c>φ(Q) (φ(K)ᵀ V)</c> in time linear in the sequence length.
    /// </summary>
    public enum FeatureMap
    {
        /// <summary>
        /// <c>φ(x) = elu(x) + 1</c>, positive, keeps the head size (Katharopoulos et al., 2020, "Transformers are RNNs:
        /// Fast Autoregressive Transformers with Linear Attention"). The default.
        /// </summary>
        Elu = 0,

        /// <summary>
        /// <c>φ(x) = relu(x)</c>, keeps the head size. A query whose features are all zero, or that sees only keys with
        /// zero features, attends nothing and gets zeros.
        /// </summary>
        Relu = 1,

        /// <summary>
        /// FAVOR+ positive orthogonal random features (Choromanski et al., 2021, "Rethinking Attention with Performers"):
        /// <c>φ(x) = exp(ωᵢ·x' − ‖x'‖²/2) / √m</c> with <c>x' = x / headDim^¼</c>, an unbiased estimate of softmax
        /// attention. The m = <see cref="LinearAttentionAttribute.Features"/> rows ωᵢ are drawn in orthogonal blocks with
        /// chi-distributed norms from <see cref="LinearAttentionAttribute.Seed"/>, and redrawn every
        /// <see cref="LinearAttentionAttribute.RedrawEvery"/> training steps.
        /// </summary>
        Favor = 2,

        /// <summary>
        /// T2R's learned map (Kasai et al., 2021, "Finetuning Pretrained Transformers into RNNs"):
        /// <c>φ(x) = relu(W x + b)</c> with a trainable <c>W</c> of <see cref="LinearAttentionAttribute.Features"/> × headDim and
        /// <c>b</c> per head. Meant for swapping the attention of a trained softmax model and finetuning.
        /// </summary>
        LearnedRelu = 3,
    }
}
