using System.Collections.Generic;
using XformerDsl.Generator.Emit;
using XformerDsl.Generator.Parsing;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary>
    /// <c>[RoutingAttention]</c> (Routing Transformer): one shared query-key projection <c>qk_proj</c> and a value
    /// projection, and the layer's online k-means, <c>centroids</c> (a <c>RoutingCentroids</c> module whose <c>means</c>
    /// buffer is saved in checkpoints); the attend step calls <c>RoutingAttention.Attend</c>, which routes the
    /// layer-normalised query-keys, attends within clusters (causally to the latest earlier tokens of a token's nearest
    /// cluster on the runtime's fused kernel that reads rows through the sort order, or the paper's balanced clusters)
    /// and lets the centroids learn in training. A causal layer routing to the nearest centroid steps from per-cluster rings.
    /// </summary>
    internal sealed class RoutingAttentionFamily : AttentionFamily<RoutingAttentionSpec, RoutingAttentionAttribute>
    {
        private const string RoutingAttention = "global::XformerDsl.Attention.Routing.RoutingAttention";
        private const string RoutingCentroids = "global::XformerDsl.Attention.Routing.RoutingCentroids";
        private const string RoutingStepState = "global::XformerDsl.Attention.Routing.RoutingStepState";

        private static readonly IReadOnlyList<string> s_projections = new[] { "qk_proj", "v_proj" };
        private static readonly IReadOnlyList<string> s_rotated = new[] { "qk" };

        public override SpecRuleSet? Rules => RoutingAttentionRules.All;

        protected override RoutingAttentionSpec? ParseSpec(AttributeArguments arguments)
        {
            int? heads = arguments.RequiredInt(nameof(RoutingAttentionAttribute.Heads), SpecLimits.Heads);
            int? clusters = arguments.RequiredInt(nameof(RoutingAttentionAttribute.Clusters), RoutingAttentionRules.Clusters);
            return heads is int h && clusters is int c
                ? new RoutingAttentionSpec(h, c,
                    arguments.OptionalInt(nameof(RoutingAttentionAttribute.Window)) ?? 0,
                    arguments.OptionalInt(nameof(RoutingAttentionAttribute.LocalHeads)) ?? 0,
                    arguments.OptionalInt(nameof(RoutingAttentionAttribute.LocalWindow)) ?? 0,
                    arguments.Double(nameof(RoutingAttentionAttribute.Decay), RoutingAttentionSpec.DefaultDecay),
                    arguments.Double(nameof(RoutingAttentionAttribute.CommitmentWeight), RoutingAttentionSpec.DefaultCommitmentWeight),
                    arguments.Enum(nameof(RoutingAttentionAttribute.Membership), RoutingAttentionSpec.DefaultMembership))
                : null;
        }

        protected override IEnumerable<(string Name, string Literal)> FormatSpec(RoutingAttentionSpec routing) => new[]
        {
            Argument(nameof(RoutingAttentionAttribute.Heads), routing.Heads), Argument(nameof(RoutingAttentionAttribute.Clusters), routing.Clusters),
            Argument(nameof(RoutingAttentionAttribute.Window), routing.Window), Argument(nameof(RoutingAttentionAttribute.LocalHeads), routing.LocalHeads),
            Argument(nameof(RoutingAttentionAttribute.LocalWindow), routing.LocalWindow),
            (nameof(RoutingAttentionAttribute.Decay), SpecFormat.DoubleLiteral(routing.Decay)),
            (nameof(RoutingAttentionAttribute.CommitmentWeight), SpecFormat.DoubleLiteral(routing.CommitmentWeight)),
            Argument(nameof(RoutingAttentionAttribute.Membership), routing.Membership),
        };

        public override IReadOnlyList<string> InputProjections => s_projections;

        public override IReadOnlyList<string> RotatedProjections => s_rotated;

        protected override void EmitFields(SourceWriter writer, ModelSpec spec, RoutingAttentionSpec routing)
        {
            writer.WriteLine($"private const int RoutingHeads = {Int(routing.RoutingHeads)};");
            writer.WriteLine($"/// <summary>The online k-means of the {(routing.LocalHeads > 0 ? "first " : "")}{Int(routing.RoutingHeads)} head{(routing.RoutingHeads == 1 ? "" : "s")}: <c>means</c>, a buffer <c>[{Int(routing.RoutingHeads)}, {Int(routing.Clusters)}, {Int(spec.HeadDimOf(routing))}]</c> saved in checkpoints, moved only in training.</summary>");
            writer.WriteLine($"private readonly {RoutingCentroids} centroids;");
        }

        protected override void EmitConstruction(SourceWriter writer, ModelSpec spec, RoutingAttentionSpec routing) =>
            writer.WriteLine($"centroids = new {RoutingCentroids}(RoutingHeads, clusters: {Int(routing.Clusters)}, HeadDim, decay: {SpecFormat.DoubleLiteral(routing.Decay)}, commitmentWeight: {SpecFormat.DoubleLiteral(routing.CommitmentWeight)});");

        protected override void EmitInitialization(SourceWriter writer, ModelSpec spec, RoutingAttentionSpec routing)
        {
            writer.WriteLine("// The centroids start from a fixed seed, so an untrained model routes and generates deterministically.");
            writer.WriteLine("centroids.Reset();");
        }

        protected override void EmitAttend(SourceWriter writer, ModelSpec spec, RoutingAttentionSpec routing)
        {
            string window = Int(routing.WindowFor(spec.MaxLength)), localWindow = Int(routing.LocalWindowFor(spec.MaxLength));
            bool nearest = routing.RoutesToNearest(spec.Causal);
            writer.WriteLine($"// Route: query-keys layer-normalised without a scale (keys are the queries); heads 0–{Int(routing.RoutingHeads - 1)} go to the nearest of {Int(routing.Clusters)} centroids.");
            if (nearest)
            {
                writer.WriteLine($"// Attend: each token to itself and the {window} latest earlier tokens of its cluster, which depend on earlier tokens only,");
                writer.WriteLine("// on the fused kernel that reads the rows through the (cluster, position) order (other devices and dtypes compose it);");
            }
            else
            {
                writer.WriteLine($"// Attend: each centroid takes its {window} nearest tokens, which attend to one another{(spec.Causal ? " causally" : "")}; a token's output is the mean");
                writer.WriteLine("// over its clusters, its own value in none (batched TorchSharp products over the gathered clusters);");
                if (spec.Causal)
                    writer.WriteLine("// declared with the paper's balanced clusters: which tokens a centroid takes depends on later tokens too, so this model does not step;");
            }
            if (routing.LocalHeads > 0)
                writer.WriteLine(spec.Causal
                    ? $"// heads {Int(routing.RoutingHeads)}–{Int(routing.Heads - 1)} attend to the {localWindow} previous positions on the same kernel;"
                    : $"// heads {Int(routing.RoutingHeads)}–{Int(routing.Heads - 1)} attend within blocks of {localWindow} positions;");
            writer.WriteLine("// a token sees itself only without another key. Training moves the centroids and records the commitment loss the trainer adds.");
            writer.WriteLine($"var attended = {RoutingAttention}.Attend(qk, v, centroids, window: {window}, localWindow: {localWindow}, causal: {SpecFormat.Bool(spec.Causal)}, nearestCentroid: {SpecFormat.Bool(nearest)},");
            writer.Indented(() => writer.WriteLine("keyPaddingMask, training);"));
        }

        /// <summary>A causal layer routing to the nearest centroid steps: each layer keeps the latest Window keys of every cluster.</summary>
        protected override bool IsRecurrent(ModelSpec spec, RoutingAttentionSpec routing) => routing.RoutesToNearest(spec.Causal);

        public override StepStateDescription? StepState(ModelSpec spec, AttentionSpec attention) =>
            new("causal routing attention", "Routing attention layers", "the latest Window keys and values of every cluster (and of the local window)", FixedSize: true);

        protected override void EmitStepAttend(SourceWriter writer, ModelSpec spec, RoutingAttentionSpec routing)
        {
            writer.WriteLine("// Route the new token with the centroids as they are; it attends to its cluster's latest keys and itself, then joins them.");
            writer.WriteLine($"var attended = state.Layer(layer, s => new {RoutingStepState}(s.Batch, Heads, centroids, window: {Int(routing.WindowFor(spec.MaxLength))}, localWindow: {Int(routing.LocalWindowFor(spec.MaxLength))}, s.Device, s.DType))");
            writer.Indented(() => writer.WriteLine(".Step(qk, v, state.Positions, state.Active);"));
        }
    }
}
