using System.Collections.Generic;
using XformerDsl.Generator.Emit;
using XformerDsl.Generator.Parsing;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary>
    /// <c>[LshAttention]</c> (Reformer): one shared query-key projection <c>qk_proj</c> and a value projection; the
    /// attend step draws the hashing rotations (fresh in training, from Seed in evaluation) and calls LSH attention.
    /// </summary>
    internal sealed class LshAttentionFamily : AttentionFamily<LshAttentionSpec, LshAttentionAttribute>
    {
        private const string LshHashing = "global::XformerDsl.Attention.Lsh.LshHashing";
        private const string LshChunkAttention = "global::XformerDsl.Attention.Lsh.LshChunkAttention";

        private static readonly IReadOnlyList<string> s_projections = new[] { "qk_proj", "v_proj" };
        private static readonly IReadOnlyList<string> s_rotated = new[] { "qk" };

        public override SpecRuleSet? Rules => LshAttentionRules.All;

        protected override LshAttentionSpec? ParseSpec(AttributeArguments arguments) =>
            arguments.RequiredInt(nameof(LshAttentionAttribute.Heads), SpecLimits.Heads) is int heads
                ? new LshAttentionSpec(heads,
                    arguments.OptionalInt(nameof(LshAttentionAttribute.BucketSize)) ?? LshAttentionSpec.DefaultBucketSize,
                    arguments.OptionalInt(nameof(LshAttentionAttribute.Rounds)) ?? LshAttentionSpec.DefaultRounds,
                    arguments.OptionalInt(nameof(LshAttentionAttribute.Seed)) ?? 0)
                : null;

        protected override IEnumerable<(string Name, string Literal)> FormatSpec(LshAttentionSpec lsh) => new[]
        {
            Argument(nameof(LshAttentionAttribute.Heads), lsh.Heads), Argument(nameof(LshAttentionAttribute.BucketSize), lsh.BucketSize),
            Argument(nameof(LshAttentionAttribute.Rounds), lsh.Rounds), Argument(nameof(LshAttentionAttribute.Seed), lsh.Seed),
        };

        public override IReadOnlyList<string> InputProjections => s_projections;

        public override IReadOnlyList<string> RotatedProjections => s_rotated;

        // The hashing rotations are drawn per forward pass; nothing is learned beside the projections.
        protected override bool HasOwnParameters(ModelSpec spec, LshAttentionSpec lsh) => false;

        protected override void EmitAttend(SourceWriter writer, ModelSpec spec, LshAttentionSpec lsh)
        {
            string rounds = SpecFormat.Int(lsh.Rounds), bucket = SpecFormat.Int(lsh.BucketSize);
            writer.WriteLine($"// Hashing: {rounds} random rotation{(lsh.Rounds == 1 ? "" : "s")} per head, drawn fresh in training (torch.manual_seed reproduces them) and from Seed = {SpecFormat.Int(lsh.Seed)} in evaluation.");
            writer.WriteLine($"var rotations = {LshHashing}.RandomRotations(seq, Heads, HeadDim, rounds: {rounds}, bucketSize: {bucket}, seed: training ? null : {SpecFormat.Int(lsh.Seed)}L, qk.device, qk.dtype);");
            writer.WriteLine($"// Attend: per round, positions sorted by (bucket, position) in chunks of {bucket}, each attending to itself and the previous chunk;");
            writer.WriteLine($"// keys are the normalised queries, a token sees itself only without another target{(spec.Causal ? ", later positions are hidden" : "")}; rounds combined by log-sum-exp.");
            writer.WriteLine($"// Hashing, sorting and gathering are TorchSharp ops; the chunk attention runs on the fused {LshKernelEmitter.ClassName} below (other devices and dtypes take the reference).");
            writer.WriteLine($"var attended = {LshChunkAttention}<{LshKernelEmitter.ClassName}>.Attend(qk, v, rotations, causal: {SpecFormat.Bool(spec.Causal)}, keyPaddingMask);");
        }

        protected override void EmitNestedTypes(SourceWriter writer, ModelSpec spec, LshAttentionSpec lsh, string owner)
        {
            writer.WriteLine();
            LshKernelEmitter.Emit(writer, spec, lsh, owner);
        }
    }
}
