using System.Collections.Generic;

namespace XformerDsl.Specs
{
    /// <summary>Routing attention with online k-means (Routing Transformer). See <see cref="RoutingAttentionAttribute"/>.</summary>
    /// <param name="Heads">Number of heads, local ones included. See <see cref="AttentionAttribute.Heads"/>.</param>
    /// <param name="Clusters">Centroids per routing head. See <see cref="RoutingAttentionAttribute.Clusters"/>.</param>
    /// <param name="Window">Tokens a query attends to in its cluster, 0 for MaxLength / Clusters. See <see cref="RoutingAttentionAttribute.Window"/>.</param>
    /// <param name="LocalHeads">Heads attending to a local window. See <see cref="RoutingAttentionAttribute.LocalHeads"/>.</param>
    /// <param name="LocalWindow">The local heads' window, 0 for the routing window. See <see cref="RoutingAttentionAttribute.LocalWindow"/>.</param>
    /// <param name="Decay">The centroids' moving-average decay. See <see cref="RoutingAttentionAttribute.Decay"/>.</param>
    /// <param name="CommitmentWeight">β of the commitment loss. See <see cref="RoutingAttentionAttribute.CommitmentWeight"/>.</param>
    /// <param name="Membership">Which tokens a causal layer's centroid gathers. See <see cref="RoutingAttentionAttribute.Membership"/>.</param>
    public sealed record RoutingAttentionSpec(int Heads, int Clusters, int Window = 0, int LocalHeads = 0, int LocalWindow = 0,
        double Decay = RoutingAttentionSpec.DefaultDecay, double CommitmentWeight = RoutingAttentionSpec.DefaultCommitmentWeight,
        RoutingMembership Membership = RoutingAttentionSpec.DefaultMembership)
        : AttentionSpec(Heads)
    {
        /// <summary>The centroids' decay when a declaration leaves <c>Decay</c> out: the official implementation's.</summary>
        public const double DefaultDecay = 0.999;

        /// <summary>β when a declaration leaves <c>CommitmentWeight</c> out: the official implementation's.</summary>
        public const double DefaultCommitmentWeight = 1e-4;

        /// <summary>A causal layer's membership when a declaration leaves <c>Membership</c> out: each token's nearest centroid.</summary>
        public const RoutingMembership DefaultMembership = RoutingMembership.NearestCentroid;

        /// <summary>The heads that route: all but the local ones.</summary>
        public int RoutingHeads => Heads - LocalHeads;

        /// <summary>The routing window of a model of <paramref name="maxLength"/> positions: Window, or MaxLength / Clusters (at least 1).</summary>
        public int WindowFor(int maxLength) => Window > 0 ? Window : System.Math.Max(1, maxLength / System.Math.Max(1, Clusters));

        /// <summary>The local heads' window: LocalWindow, or the routing window.</summary>
        public int LocalWindowFor(int maxLength) => LocalWindow > 0 ? LocalWindow : WindowFor(maxLength);

        /// <summary>
        /// True when a model of causality <paramref name="causal"/> routes each token to its nearest centroid and attends to
        /// the latest earlier tokens of that cluster (causal, steps), rather than the paper's balanced clusters.
        /// </summary>
        public bool RoutesToNearest(bool causal) => causal && Membership == RoutingMembership.NearestCentroid;

        /// <inheritdoc/>
        public override string AttributeName => "RoutingAttention";

        /// <inheritdoc/>
        public override string Complexity =>
            $"Routing attention, {SpecFormat.Int(Clusters)} clusters per routing head by online k-means{(LocalHeads > 0 ? $", {SpecFormat.Int(LocalHeads)} local head{(LocalHeads == 1 ? "" : "s")}" : "")}: O(L·(Window + Clusters)·Dim) time per layer";

        /// <summary>
        /// One shared query-key projection, a value and an output projection: three Dim × Dim matrices. The centroids are a
        /// buffer, not a parameter.
        /// </summary>
        public override long ParametersPerLayer(int dim, bool bias) => 3L * dim * dim + (bias ? 3L * dim : 0);

        /// <inheritdoc/>
        public override long ProjectionMacsPerToken(int dim) => 3L * dim * dim;

        /// <inheritdoc/>
        public override long MacsPerTokenOfLayer(ModelSpec model, int layer, int length) =>
            ProjectionMacsPerToken(model.Dim) + MixingMacs(model.Dim, length, model.MaxLength, model.Causal);

        /// <inheritdoc/>
        public override long MixingMacsPerToken(int dim, int length, bool causal) => MixingMacs(dim, length, length, causal);

        /// <summary>
        /// Per token: a routing head measures its distance to every centroid (headDim · Clusters) and scores and weights
        /// at most Window keys plus itself (2 · headDim each); a local head the same over its local window. Summed over the
        /// heads; windows are capped at the sequence length.
        /// </summary>
        private long MixingMacs(int dim, int length, int maxLength, bool causal)
        {
            if (Heads <= 0 || length <= 0)
                return 0;
            long headDim = dim / Heads;
            long window = System.Math.Min(WindowFor(maxLength), length), local = System.Math.Min(LocalWindowFor(maxLength), length);
            // Balanced clusters: Clusters · Window memberships spread over `length` tokens, each attending to Window keys.
            long routed = RoutesToNearest(causal)
                ? 2L * headDim * (window + 1)
                : 2L * headDim * window * System.Math.Max(1L, Clusters * window / length);
            return RoutingHeads * (headDim * Clusters + routed) + (long)LocalHeads * 2L * headDim * (local + 1);
        }

        /// <inheritdoc/>
        public override IEnumerable<SpecProblem> Problems(ModelSpec model, int index)
        {
            bool sizesInRange = true;
            foreach (var (limit, value) in new[]
            {
                (RoutingAttentionRules.Clusters, Clusters), (RoutingAttentionRules.Window, Window),
                (RoutingAttentionRules.LocalHeads, LocalHeads), (RoutingAttentionRules.LocalWindow, LocalWindow),
            })
            {
                if (!limit.Contains(value))
                {
                    sizesInRange = false;
                    yield return SpecValidation.RangeProblem(limit, value) with { AttentionIndex = index };
                }
            }
            if (!System.Enum.IsDefined(typeof(RoutingMembership), Membership))
                yield return SpecValidation.UndefinedEnumProblem(AttributeName, "Membership", Membership) with { AttentionIndex = index };
            if (!(Decay > 0 && Decay < 1))
                yield return Problem(RoutingAttentionRules.DecayOutOfRange, "Decay", index, SpecFormat.Double(Decay));
            if (!(CommitmentWeight >= 0 && !double.IsInfinity(CommitmentWeight)))
                yield return Problem(RoutingAttentionRules.CommitmentWeightNegative, "CommitmentWeight", index, SpecFormat.Double(CommitmentWeight));
            if (sizesInRange && LocalHeads >= Heads && Heads > 0)
                yield return Problem(RoutingAttentionRules.NoRoutingHeads, "LocalHeads", index,
                    SpecFormat.Int(LocalHeads), SpecFormat.Int(Heads), SpecFormat.Int(Heads - 1));
            if (model.Reversible)
                yield return new SpecProblem(RoutingAttentionRules.ReversibleModel, AttributeName, AttributeName, ImmutableEquatableArray<string>.Empty) with { AttentionIndex = index };
            if (!sizesInRange || !SpecLimits.MaxLength.Contains(model.MaxLength))
                yield break;
            int maxLength = model.MaxLength;
            if (Clusters > maxLength)
                yield return Problem(RoutingAttentionRules.ClustersExceedMaxLength, "Clusters", index,
                    SpecFormat.Int(Clusters), SpecFormat.Int(maxLength), SpecFormat.Int(maxLength));
            foreach (var (argument, value) in new[] { ("Window", Window), ("LocalWindow", LocalWindow) })
            {
                if (value > maxLength)
                    yield return Problem(RoutingAttentionRules.WindowExceedsMaxLength, argument, index,
                        argument, SpecFormat.Int(value), SpecFormat.Int(maxLength));
            }
        }

        private SpecProblem Problem(SpecRule rule, string argument, int index, params string[] arguments) =>
            new SpecProblem(rule, AttributeName, argument, ImmutableEquatableArray.Create(arguments)) with { AttentionIndex = index };
    }
}
