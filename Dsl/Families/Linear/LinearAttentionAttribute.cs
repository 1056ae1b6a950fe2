using System;
using XformerDsl.Specs;

namespace XformerDsl
{
    /// <summary>
    /// Kernelized linear attention: softmax(QKᵀ)V replaced by <c>φ(Q) (φ(K)ᵀ V)</c>, normalised by
    /// <c>φ(Q) · Σ φ(K)</c>, at O(L · m · headDim) cost in the sequence length L and feature count m instead of O(L²).
    /// A causal model becomes an RNN whose state (an m × headDim matrix and an m-vector per head) does not grow with the
    /// position. The feature map φ is chosen with <see cref="Kernel"/>:
    /// <list type="bullet">
    /// <item><see cref="FeatureMap.Elu"/>: elu(x) + 1, the Linear Transformer (Katharopoulos et al., 2020, "Transformers are RNNs").</item>
    /// <item><see cref="FeatureMap.Relu"/>: relu(x).</item>
    /// <item><see cref="FeatureMap.Favor"/>: FAVOR+ positive orthogonal random features, the Performer
    /// (Choromanski et al., 2021, "Rethinking Attention with Performers").</item>
    /// <item><see cref="FeatureMap.LearnedRelu"/>: relu(Wx + b) with trainable W, b per head, T2R
    /// (Kasai et al., 2021, "Finetuning Pretrained Transformers into RNNs").</item>
    /// </list>
    /// A key-padding mask removes padded keys from both the numerator and the normaliser.
    /// <code>
    /// [LinearAttention(Heads = 4, Kernel = FeatureMap.Favor, Features = 128, RedrawEvery = 1000)]
    /// </code>
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class LinearAttentionAttribute : AttentionAttribute
    {
        /// <summary>The feature map φ; <see cref="FeatureMap.Elu"/> when left out.</summary>
        public FeatureMap Kernel { get; set; } = LinearAttentionSpec.DefaultKernel;

        /// <summary>
        /// Features per head, m, for <see cref="FeatureMap.Favor"/> and <see cref="FeatureMap.LearnedRelu"/>: the
        /// number of random features (more features, smaller error against softmax attention; the Performer paper
        /// suggests about headDim · ln(headDim)) or of learned ones (T2R uses 32). From 1 to 4,096; the head size when
        /// left out. Elu and Relu keep the head size, so Features means nothing for them and is an error there.
        /// </summary>
        public int Features { get; set; }

        /// <summary>
        /// <see cref="FeatureMap.Favor"/> only: draw fresh random features every this many training steps (forward
        /// passes in training mode), as the Performer does to keep the estimate unbiased across training. 0, the
        /// default, keeps one draw. Redraws are deterministic: draw n comes from <see cref="Seed"/> and n, and the
        /// features and the step count live in the state dict, so a resumed run continues the same sequence.
        /// </summary>
        public int RedrawEvery { get; set; }

        /// <summary><see cref="FeatureMap.Favor"/> only: the seed the random features are drawn from. 0 when left out.</summary>
        public int Seed { get; set; }
    }
}
