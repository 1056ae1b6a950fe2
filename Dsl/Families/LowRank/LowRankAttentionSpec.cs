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

        /// <summary>The length projections a layer learns: E and F (<see cref="LowRankSharing.Headwise"/>), or E alone (<see cref="LowRankSharing.KeyValue"/>).</summary>
        public int LengthProjections => Sharing == LowRankSharing.KeyValue ? 1 : 2;

        /// <summary>The Q, K, V and output projections, and E (and F), each <c>[ProjectedLength, MaxLength]</c>.</summary>
        public override long ParametersOfLayer(ModelSpec model, int layer) =>
            ParametersPerLayer(model.Dim, model.Bias) + (long)LengthProjections * ProjectedLength * model.MaxLength;

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
            if (SpecLimits.MaxLength.Contains(model.MaxLength) && ProjectedLength > model.MaxLength)
                yield return new SpecProblem(LowRankAttentionRules.ProjectedLengthExceedsMaxLength, AttributeName, "ProjectedLength",
                    ImmutableEquatableArray.Create(SpecFormat.Int(ProjectedLength), SpecFormat.Int(model.MaxLength))) with { AttentionIndex = index };
        }
    }
}
