using System.Collections.Generic;

namespace XformerDsl.Specs
{
    /// <summary>Inducing-point attention (Set Transformer's ISAB). See <see cref="InducedAttentionAttribute"/>.</summary>
    /// <param name="Heads">Number of heads, of both attentions. See <see cref="AttentionAttribute.Heads"/>.</param>
    /// <param name="Points">m, the learned inducing points. See <see cref="InducedAttentionAttribute.Points"/>.</param>
    public sealed record InducedAttentionSpec(int Heads, int Points) : AttentionSpec(Heads)
    {
        /// <summary>The inducing points when a declaration leaves <c>Points</c> out.</summary>
        public const int DefaultPoints = 32;

        /// <inheritdoc/>
        public override string AttributeName => "InducedAttention";

        /// <inheritdoc/>
        public override string Complexity =>
            $"inducing-point (Set Transformer ISAB) attention through {SpecFormat.Int(Points)} learned points: O(L·{SpecFormat.Int(Points)}·Dim) time per layer";

        /// <summary>
        /// The outer attention's Q, K, V and output projections, and the inner block that summarises the sequence into
        /// the m inducing points (<see cref="PoolingByAttentionCount.Parameters"/>).
        /// </summary>
        public override long ParametersOfLayer(ModelSpec model, int layer) =>
            ParametersPerLayer(model.Dim, model.Bias) + PoolingByAttentionCount.Parameters(model, Points);

        /// <summary>
        /// Each token is scored by and weighted into the m points (2·m·Dim), and scores and weights the m summaries
        /// (2·m·Dim); the m-row projections of each sequence (the points' queries, the summaries' feed-forward, keys and
        /// values, 4·m·Dim²) are shared by its tokens. The projections of the tokens themselves (the points' keys and
        /// values, the tokens' queries, the output) are full attention's 4·Dim², the default
        /// <see cref="AttentionSpec.ProjectionMacsPerToken"/>.
        /// </summary>
        public override long MixingMacsPerToken(int dim, int length, bool causal) =>
            4L * Points * dim + 4L * Points * dim * dim / System.Math.Max(1, length);

        /// <inheritdoc/>
        public override IEnumerable<SpecProblem> Problems(ModelSpec model, int index)
        {
            if (!InducedAttentionRules.Points.Contains(Points))
            {
                yield return SpecValidation.RangeProblem(InducedAttentionRules.Points, Points) with { AttentionIndex = index };
                yield break;
            }
            if (model.Causal)
                yield return new SpecProblem(InducedAttentionRules.CausalModel, AttributeName, AttributeName,
                    ImmutableEquatableArray.Create(SpecFormat.Int(Points))) with { AttentionIndex = index };
            if (SpecLimits.MaxLength.Contains(model.MaxLength) && Points > model.MaxLength)
                yield return new SpecProblem(InducedAttentionRules.PointsExceedMaxLength, AttributeName, "Points",
                    ImmutableEquatableArray.Create(SpecFormat.Int(Points), SpecFormat.Int(model.MaxLength))) with { AttentionIndex = index };
            if (model.Positions.Kind == PositionEncoding.Rotary)
                yield return new SpecProblem(InducedAttentionRules.RotaryPositions, AttributeName, AttributeName,
                    ImmutableEquatableArray<string>.Empty) with { AttentionIndex = index };
        }
    }
}
