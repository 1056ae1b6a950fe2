using System.Collections.Generic;

namespace XformerDsl.Specs
{
    /// <summary>Low-rank attention over keys and values projected along the length (Linformer). See <see cref="LowRankAttentionAttribute"/>.</summary>
    /// <param name="Heads">Number of heads. See <see cref="AttentionAttribute.Heads"/>.</param>
    /// <param name="ProjectedLength">k, the rows keys and values are projected to. See <see cref="LowRankAttentionAttribute.ProjectedLength"/>.</param>
    /// <param name="Sharing">Which projections each layer learns. See <see cref="LowRankAttentionAttribute.Sharing"/>.</param>
    public sealed record LowRankAttentionSpec(int Heads, int ProjectedLength, LowRankSharing Sharing) : AttentionSpec(Heads)
    {
        /// <summary>The sharing when a declaration leaves <c>Sharing</c> out: one E and one F per layer, shared by its heads.</summary>
        public const LowRankSharing DefaultSharing = LowRankSharing.Headwise;

        /// <inheritdoc/>
        public override string AttributeName => "LowRankAttention";

        /// <inheritdoc/>
        public override string Complexity =>
            $"low-rank (Linformer) attention over {SpecFormat.Int(ProjectedLength)} projected keys: O(L·{SpecFormat.Int(ProjectedLength)}·Dim) time per layer";

        /// <summary>
        /// The length projections a layer learns: E and F (<see cref="LowRankSharing.Headwise"/>), E alone
        /// (<see cref="LowRankSharing.KeyValue"/>), or none (<see cref="LowRankSharing.Layerwise"/>: the model owns one).
        /// </summary>
        public int LengthProjections => Sharing switch
        {
            LowRankSharing.KeyValue => 1,
            LowRankSharing.Layerwise => 0,
            _ => 2,
        };

        /// <summary>
        /// The Q, K, V and output projections, and E (and F), each <c>[ProjectedLength, MaxLength]</c>. With layerwise
        /// sharing the model's one projection is counted once, in the first layer that uses it.
        /// </summary>
        public override long ParametersOfLayer(ModelSpec model, int layer)
        {
            long projections = Sharing == LowRankSharing.Layerwise
                ? (FirstLayerwiseLayer(model) == layer ? 1 : 0)
                : LengthProjections;
            return ParametersPerLayer(model.Dim, model.Bias) + projections * ProjectedLength * model.MaxLength;
        }

        /// <summary>True when <paramref name="attention"/> is a low-rank declaration that uses the model's layerwise projection.</summary>
        public static bool SharesAcrossLayers(AttentionSpec attention) =>
            attention is LowRankAttentionSpec { Sharing: LowRankSharing.Layerwise };

        // The first layer whose attention uses the model's layerwise projection, or -1.
        private static int FirstLayerwiseLayer(ModelSpec model)
        {
            var attentionOfLayer = model.AttentionIndexOfLayers();
            for (int layer = 0; layer < attentionOfLayer.Count; layer++)
            {
                if (attentionOfLayer[layer] >= 0 && SharesAcrossLayers(model.Attention[attentionOfLayer[layer]].Attention))
                    return layer;
            }
            return -1;
        }

        /// <summary>
        /// Each token's key and value rows are added into the k compressed rows (k·Dim MACs each, 2·k·Dim), and each query
        /// scores the k compressed keys and weights as many compressed values (2·Dim·k).
        /// </summary>
        public override long MixingMacsPerToken(int dim, int length, bool causal) => 4L * ProjectedLength * dim;

        /// <inheritdoc/>
        public override IEnumerable<SpecProblem> Problems(ModelSpec model, int index)
        {
            if (!LowRankAttentionRules.ProjectedLength.Contains(ProjectedLength))
            {
                yield return SpecValidation.RangeProblem(LowRankAttentionRules.ProjectedLength, ProjectedLength) with { AttentionIndex = index };
                yield break;
            }
            if (!System.Enum.IsDefined(typeof(LowRankSharing), Sharing))
                yield return SpecValidation.UndefinedEnumProblem(AttributeName, "Sharing", Sharing) with { AttentionIndex = index };
            if (model.Causal)
                yield return new SpecProblem(LowRankAttentionRules.CausalModel, AttributeName, AttributeName,
                    ImmutableEquatableArray.Create(SpecFormat.Int(ProjectedLength))) with { AttentionIndex = index };
            if (Sharing == LowRankSharing.Layerwise && FirstLayerwiseDeclaration(model, index) is { } first && first.ProjectedLength != ProjectedLength)
                yield return new SpecProblem(LowRankAttentionRules.LayerwiseProjectedLengthsDiffer, AttributeName, "ProjectedLength",
                    ImmutableEquatableArray.Create(SpecFormat.Int(ProjectedLength), SpecFormat.Int(first.ProjectedLength))) with { AttentionIndex = index };
            if (SpecLimits.MaxLength.Contains(model.MaxLength) && ProjectedLength > model.MaxLength)
                yield return new SpecProblem(LowRankAttentionRules.ProjectedLengthExceedsMaxLength, AttributeName, "ProjectedLength",
                    ImmutableEquatableArray.Create(SpecFormat.Int(ProjectedLength), SpecFormat.Int(model.MaxLength))) with { AttentionIndex = index };
        }

        // The first declaration before index `index` in the same stack that also shares its projection across layers, or null.
        private static LowRankAttentionSpec? FirstLayerwiseDeclaration(ModelSpec model, int index)
        {
            var stack = model.Attention[index].Stack;
            for (int i = 0; i < index; i++)
            {
                var declaration = model.Attention[i];
                bool sameStack = declaration.Stack == ModelStack.Both || stack == ModelStack.Both || declaration.Stack == stack;
                if (sameStack && declaration.Attention is LowRankAttentionSpec { Sharing: LowRankSharing.Layerwise } shared)
                    return shared;
            }
            return null;
        }
    }
}
