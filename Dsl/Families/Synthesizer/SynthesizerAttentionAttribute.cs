using System;
using XformerDsl.Specs;

namespace XformerDsl
{
    /// <summary>
    /// Synthesizer attention (Tay, Bahri, Metzler, Juan, Zhao &amp; Zheng, 2021, "Synthesizer: Rethinking Self-Attention
    /// in Transformer Models"): the attention logits are synthesized instead of computed from query–key dot products:
    /// learned outright (<see cref="SynthesizerMode.Random"/>), as a low-rank product
    /// (<see cref="SynthesizerMode.FactorizedRandom"/>), or from each token alone (<see cref="SynthesizerMode.Dense"/>,
    /// <see cref="SynthesizerMode.FactorizedDense"/>); <c>softmax(logits)·V</c> then mixes the values. With
    /// <see cref="DotProduct"/> the synthetic logits are added to the usual scaled dot products (the paper's mixture).
    /// A sequence shorter than MaxLength uses the first L rows and columns of the synthetic logits. Causal models hide
    /// later keys with the triangular mask, which is exact here: row i of the synthetic logits depends on nothing (random
    /// modes) or on token i alone (dense modes). The fused kernel adds the logits as an additive score bias, the same tile
    /// step relative-position biases use.
    /// </summary>
    /// <example>
    /// <code>
    /// [Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1024, Causal = false)]
    /// [SynthesizerAttention(Heads = 4, Mode = SynthesizerMode.FactorizedRandom, Factor = 16)]
    /// [FeedForward(Hidden = 1024)]
    /// public partial class SynthesizerEncoder;
    /// </code>
    /// </example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class SynthesizerAttentionAttribute : AttentionAttribute
    {
        /// <summary>How the logits are synthesized: <see cref="SynthesizerMode.Random"/> by default.</summary>
        public SynthesizerMode Mode { get; set; } = SynthesizerAttentionSpec.DefaultMode;

        /// <summary>
        /// The factorized modes' factor (required there, XF0110, and meaningless elsewhere, XF0113): the rank of <c>R₁·R₂ᵀ</c> for
        /// <see cref="SynthesizerMode.FactorizedRandom"/> (1 to MaxLength − 1), or the length of A for
        /// <see cref="SynthesizerMode.FactorizedDense"/> (a divisor of MaxLength between 2 and MaxLength / 2) (XF0111).
        /// </summary>
        public int Factor { get; set; }

        /// <summary>
        /// True to add the scaled dot products <c>q·kᵀ/√HeadDim</c> to the synthetic logits (the paper's mixture of
        /// synthesizer and dot-product attention; adds the query and key projections). False by default: the pure
        /// synthesizer, whose only input projection is the values'.
        /// </summary>
        public bool DotProduct { get; set; }

        /// <summary>
        /// With <see cref="DotProduct"/>: weight the two logit terms by learned per-head weights α (softmax-normalised, as
        /// the paper's mixture), <c>α₁·synthetic + α₂·dot product</c>, instead of adding them unweighted (LRA's code).
        /// False by default. Without <see cref="DotProduct"/> there is nothing to weigh (XF0112).
        /// </summary>
        public bool LearnedMixture { get; set; }
    }
}
