using System;
using System.Collections.Generic;
using System.Linq;

namespace XformerDsl.Specs
{
    /// <summary>
    /// Kernelized linear attention: <c>φ(Q) (φ(K)ᵀ V) / (φ(Q) · Σ φ(K))</c>. See <see cref="LinearAttentionAttribute"/>.
    /// </summary>
    /// <param name="Heads">Number of heads. See <see cref="AttentionAttribute.Heads"/>.</param>
    /// <param name="Kernel">The feature map φ. See <see cref="LinearAttentionAttribute.Kernel"/>.</param>
    /// <param name="Features">Features per head as declared, or null when left out. See <see cref="LinearAttentionAttribute.Features"/>.</param>
    /// <param name="RedrawEvery">Training steps between FAVOR+ redraws; 0 keeps one draw. See <see cref="LinearAttentionAttribute.RedrawEvery"/>.</param>
    /// <param name="Seed">The seed of the FAVOR+ random features. See <see cref="LinearAttentionAttribute.Seed"/>.</param>
    public sealed record LinearAttentionSpec(int Heads, FeatureMap Kernel = LinearAttentionSpec.DefaultKernel, int? Features = null, int RedrawEvery = 0, int Seed = 0)
        : AttentionSpec(Heads)
    {
        /// <summary>The feature map when a declaration leaves <c>Kernel</c> out.</summary>
        public const FeatureMap DefaultKernel = FeatureMap.Elu;

        /// <summary>The largest supported <see cref="Features"/>: a 4,096 × headDim state per head is already far beyond what pays off.</summary>
        public const int MaxFeatures = 4096;

        /// <inheritdoc/>
        public override string AttributeName => "LinearAttention";

        /// <inheritdoc/>
        public override string Complexity => $"kernelized linear attention (φ = {MapFormula}), linear: O(L·m·headDim) time per layer";

        /// <summary>The feature map as a formula, for comments and the model card.</summary>
        public string MapFormula => Kernel switch
        {
            FeatureMap.Elu => "elu(x) + 1",
            FeatureMap.Relu => "relu(x)",
            FeatureMap.Favor => "FAVOR+ positive random features",
            FeatureMap.LearnedRelu => "relu(W x + b), learned",
            _ => Kernel.ToString(),
        };

        /// <summary>True when φ uses random features drawn from <see cref="Seed"/> (FAVOR+).</summary>
        public bool HasRandomFeatures => Kernel == FeatureMap.Favor;

        /// <summary>True when φ has trainable parameters (T2R's W and b).</summary>
        public bool HasLearnedFeatures => Kernel == FeatureMap.LearnedRelu;

        /// <summary>True when φ maps a head to a chosen number of features rather than keeping its size.</summary>
        public bool ChoosesFeatureCount => HasRandomFeatures || HasLearnedFeatures;

        /// <summary>m, the features per head: the head size for Elu and Relu, else <see cref="Features"/> or the head size.</summary>
        public int FeatureCount(int headDim) => ChoosesFeatureCount ? Features ?? headDim : headDim;

        /// <summary>The Q, K, V and output projections, plus T2R's W (m × headDim) and b (m) per head.</summary>
        public override long ParametersPerLayer(int dim, bool bias)
        {
            long projections = base.ParametersPerLayer(dim, bias);
            if (!HasLearnedFeatures || Heads <= 0)
                return projections;
            long headDim = dim / Heads, features = FeatureCount((int)headDim);
            return projections + Heads * (features * headDim + features);
        }

        /// <summary>The Q, K, V and output projections, plus mapping queries and keys to m features (FAVOR+ and T2R: 2·m·headDim per head).</summary>
        public override long ProjectionMacsPerToken(int dim)
        {
            long projections = base.ProjectionMacsPerToken(dim);
            if (!ChoosesFeatureCount || Heads <= 0)
                return projections;
            long headDim = dim / Heads;
            return projections + 2L * Heads * FeatureCount((int)headDim) * headDim;
        }

        /// <summary>
        /// Per head and token: adding φ(k) vᵀ and φ(k) to the state (m·(headDim + 1)) and reading φ(q)ᵀ S and φ(q)·z
        /// (m·(headDim + 1)), whatever the length, causal or not.
        /// </summary>
        public override long MixingMacsPerToken(int dim, int length, bool causal)
        {
            if (Heads <= 0)
                return 0;
            long headDim = dim / Heads;
            return 2L * Heads * FeatureCount((int)headDim) * (headDim + 1);
        }

        /// <inheritdoc/>
        public override IEnumerable<SpecProblem> Problems(ModelSpec model, int index)
        {
            if (!Enum.IsDefined(typeof(FeatureMap), Kernel))
            {
                yield return Problem(SpecRules.UndefinedEnumValue, "Kernel", index,
                    "Kernel", SpecFormat.Enum(Kernel), nameof(FeatureMap),
                    string.Join(", ", Enum.GetNames(typeof(FeatureMap)).Select(name => nameof(FeatureMap) + "." + name)));
                yield break;
            }
            if (Features is int features)
            {
                if (!ChoosesFeatureCount)
                    yield return Problem(LinearAttentionRules.FeaturesWithoutEffect, "Features", index,
                        SpecFormat.Int(features), SpecFormat.Enum(Kernel), SpecFormat.Int(model.HeadDimOf(this)));
                else if (features < 1 || features > MaxFeatures)
                    yield return Problem(LinearAttentionRules.FeaturesOutOfRange, "Features", index,
                        SpecFormat.Int(features), SpecFormat.Int(MaxFeatures), SpecFormat.Int(Math.Max(1, model.HeadDimOf(this))));
            }
            if (RedrawEvery != 0 && !HasRandomFeatures)
                yield return Problem(LinearAttentionRules.NeedsRandomFeatures, "RedrawEvery", index,
                    "RedrawEvery", SpecFormat.Int(RedrawEvery), SpecFormat.Enum(Kernel));
            else if (RedrawEvery < 0)
                yield return Problem(LinearAttentionRules.RedrawEveryNegative, "RedrawEvery", index, SpecFormat.Int(RedrawEvery));
            if (Seed != 0 && !HasRandomFeatures)
                yield return Problem(LinearAttentionRules.NeedsRandomFeatures, "Seed", index,
                    "Seed", SpecFormat.Int(Seed), SpecFormat.Enum(Kernel));
        }

        private SpecProblem Problem(SpecRule rule, string argument, int index, params string[] messageArguments) =>
            new SpecProblem(rule, AttributeName, argument, ImmutableEquatableArray.Create(messageArguments), index);
    }
}
