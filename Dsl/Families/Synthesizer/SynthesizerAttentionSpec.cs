using System.Collections.Generic;

namespace XformerDsl.Specs
{
    /// <summary>Synthesizer attention: synthetic logits, optionally mixed with dot products. See <see cref="SynthesizerAttentionAttribute"/>.</summary>
    /// <param name="Heads">Number of heads. See <see cref="AttentionAttribute.Heads"/>.</param>
    /// <param name="Mode">How the logits are synthesized. See <see cref="SynthesizerAttentionAttribute.Mode"/>.</param>
    /// <param name="Factor">The factorized modes' factor, 0 for the others. See <see cref="SynthesizerAttentionAttribute.Factor"/>.</param>
    /// <param name="DotProduct">Whether dot-product logits are added. See <see cref="SynthesizerAttentionAttribute.DotProduct"/>.</param>
    /// <param name="LearnedMixture">Whether the two terms are weighed by learned weights. See <see cref="SynthesizerAttentionAttribute.LearnedMixture"/>.</param>
    public sealed record SynthesizerAttentionSpec(int Heads, SynthesizerMode Mode, int Factor, bool DotProduct, bool LearnedMixture) : AttentionSpec(Heads)
    {
        /// <summary>The mode when a declaration leaves <c>Mode</c> out.</summary>
        public const SynthesizerMode DefaultMode = SynthesizerMode.Random;

        /// <inheritdoc/>
        public override string AttributeName => "SynthesizerAttention";

        /// <summary>True for the modes whose logits depend on the input (dense, factorized dense).</summary>
        public bool IsDense => Mode is SynthesizerMode.Dense or SynthesizerMode.FactorizedDense;

        /// <summary>True for the modes that need <see cref="Factor"/>.</summary>
        public bool IsFactorized => Mode is SynthesizerMode.FactorizedRandom or SynthesizerMode.FactorizedDense;

        /// <inheritdoc/>
        public override string Complexity =>
            $"{ModePhrase} synthesizer attention{(DotProduct ? " mixed with dot products" : "")}: O(L²·Dim) time per layer";

        /// <summary>The mode in words, e.g. <c>factorized random</c>.</summary>
        public string ModePhrase => Mode switch
        {
            SynthesizerMode.FactorizedRandom => $"factorized random (rank {SpecFormat.Int(Factor)})",
            SynthesizerMode.Dense => "dense",
            SynthesizerMode.FactorizedDense => $"factorized dense ({SpecFormat.Int(Factor)} × MaxLength / {SpecFormat.Int(Factor)})",
            _ => "random",
        };

        /// <summary>The value and output projections, and the query and key projections when dot products are mixed in.</summary>
        public override long ParametersPerLayer(int dim, bool bias)
        {
            long projections = DotProduct ? 4 : 2;
            return projections * dim * dim + (bias ? projections * dim : 0);
        }

        /// <summary>The projections and the synthesizer's own parameters (see <see cref="SyntheticParameters"/>).</summary>
        public override long ParametersOfLayer(ModelSpec model, int layer) => ParametersPerLayer(model.Dim, model.Bias) + SyntheticParameters(model);

        /// <summary>
        /// One layer's synthesizer parameters: Heads·MaxLength² for the random mode (the cost the paper's factorized modes
        /// avoid), 2·Heads·MaxLength·Factor factorized; the dense modes' two layers; two mixture weights per head.
        /// </summary>
        public long SyntheticParameters(ModelSpec model)
        {
            long heads = Heads, maxLength = model.MaxLength, dim = model.Dim, headDim = model.Dim / System.Math.Max(1, Heads);
            long hidden = dim * dim + dim;   // dense.0: Linear(Dim, Dim) with its bias
            long synthetic = Mode switch
            {
                SynthesizerMode.FactorizedRandom => 2 * heads * maxLength * Factor,
                SynthesizerMode.Dense => hidden + heads * maxLength * (headDim + 1),
                SynthesizerMode.FactorizedDense => hidden + heads * (Factor + maxLength / System.Math.Max(1, Factor)) * (headDim + 1),
                _ => heads * maxLength * maxLength,
            };
            return synthetic + (LearnedMixture ? 2 * heads : 0);
        }

        /// <summary>The value and output projections, and the query and key projections with dot products: Dim² each.</summary>
        public override long ProjectionMacsPerToken(int dim) => (DotProduct ? 4L : 2L) * dim * dim;

        /// <summary>
        /// Weighting the values costs Dim MACs per visible key ((L+1)/2 on average when causal, L otherwise), and as much
        /// again for the dot products when mixed in; synthesizing the logits adds Heads·L·Factor per token for the
        /// factorized random mode (the product R₁·R₂ᵀ), Dim² + Dim·L for dense, Dim² + Dim·(Factor + MaxLength / Factor)
        /// + Heads·L for factorized dense (approximated with L for MaxLength), and nothing for the random mode.
        /// </summary>
        public override long MixingMacsPerToken(int dim, int length, bool causal)
        {
            long visible = causal ? (length + 1L) / 2 : length;
            long mixing = (DotProduct ? 2L : 1L) * dim * visible;
            long synthesis = Mode switch
            {
                SynthesizerMode.FactorizedRandom => (long)Heads * length * Factor,
                SynthesizerMode.Dense => (long)dim * dim + (long)dim * length,
                SynthesizerMode.FactorizedDense => (long)dim * dim + (long)dim * (Factor + length / System.Math.Max(1, Factor)) + (long)Heads * length,
                _ => 0L,
            };
            return mixing + synthesis;
        }

        /// <inheritdoc/>
        public override IEnumerable<SpecProblem> Problems(ModelSpec model, int index)
        {
            if (!System.Enum.IsDefined(typeof(SynthesizerMode), Mode))
            {
                yield return SpecValidation.UndefinedEnumProblem(AttributeName, "Mode", Mode) with { AttentionIndex = index };
                yield break;
            }
            if (LearnedMixture && !DotProduct)
                yield return new SpecProblem(SynthesizerAttentionRules.MixtureWithoutDotProduct, AttributeName, "LearnedMixture",
                    ImmutableEquatableArray.Create<string>()) with { AttentionIndex = index };
            string mode = SpecFormat.Enum(Mode);
            if (!IsFactorized)
            {
                if (Factor != 0)
                    yield return new SpecProblem(SynthesizerAttentionRules.FactorWithoutFactorizedMode, AttributeName, "Factor",
                        ImmutableEquatableArray.Create(SpecFormat.Int(Factor), mode)) with { AttentionIndex = index };
                yield break;
            }
            if (!SpecLimits.MaxLength.Contains(model.MaxLength))
                yield break;
            var (fits, range, suggestion) = FactorRange(model.MaxLength);
            if (Factor == 0)
                yield return new SpecProblem(SynthesizerAttentionRules.FactorRequired, AttributeName, "Mode",
                    ImmutableEquatableArray.Create(mode, range, suggestion, Mode == SynthesizerMode.FactorizedDense ? "Dense" : "Random")) with { AttentionIndex = index };
            else if (!fits)
                yield return new SpecProblem(SynthesizerAttentionRules.FactorOutOfRange, AttributeName, "Factor",
                    ImmutableEquatableArray.Create(SpecFormat.Int(Factor), mode, SpecFormat.Int(model.MaxLength), range, suggestion)) with { AttentionIndex = index };
        }

        // Whether Factor fits the mode at this MaxLength, the range in words, and a value to suggest.
        private (bool Fits, string Range, string Suggestion) FactorRange(int maxLength)
        {
            if (Mode == SynthesizerMode.FactorizedRandom)
            {
                int suggested = Factor >= maxLength ? maxLength - 1 : System.Math.Min(16, maxLength - 1);
                return (Factor >= 1 && Factor < maxLength, $"the rank of R₁·R₂ᵀ, from 1 to MaxLength − 1 = {SpecFormat.Int(maxLength - 1)}",
                    SpecFormat.Int(System.Math.Max(1, suggested)));
            }
            // Factorized dense: A has Factor values and B MaxLength / Factor, whose outer product is a row of MaxLength logits.
            int best = 0;
            for (int divisor = 2; divisor <= maxLength / 2; divisor++)
                if (maxLength % divisor == 0 && (best == 0 || System.Math.Abs(divisor - Factor) < System.Math.Abs(best - Factor)))
                    best = divisor;
            return (Factor >= 2 && Factor <= maxLength / 2 && maxLength % Factor == 0,
                $"a divisor of MaxLength between 2 and MaxLength / 2, so A (Factor values) and B (MaxLength / Factor values) multiply out to MaxLength logits",
                best == 0 ? "a divisor (MaxLength = " + SpecFormat.Int(maxLength) + " has none in range; use Mode = SynthesizerMode.Dense)" : SpecFormat.Int(best));
        }
    }
}
