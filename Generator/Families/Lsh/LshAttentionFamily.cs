using System.Collections.Generic;
using XformerDsl.Generator.Emit;
using XformerDsl.Generator.Parsing;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary>
    /// <c>[LshAttention]</c> (Reformer): one shared query-key projection <c>qk_proj</c> and a value projection; the
    /// attend step draws the hashing rotations (fresh in training, from Seed in evaluation) and calls LSH attention: the
    /// paper's sorted chunks on the generated chunk <c>Kernel</c>, or, in causal models by default, each query's previous
    /// keys in its own bucket (<c>LshCausalAttention</c>), which also steps token by token from per-bucket caches.
    /// </summary>
    internal sealed class LshAttentionFamily : AttentionFamily<LshAttentionSpec, LshAttentionAttribute>
    {
        private const string LshHashing = "global::XformerDsl.Attention.Lsh.LshHashing";
        private const string LshChunkAttention = "global::XformerDsl.Attention.Lsh.LshChunkAttention";
        private const string LshCausalAttention = "global::XformerDsl.Attention.Lsh.LshCausalAttention";
        private const string LshStepState = "global::XformerDsl.Attention.Lsh.LshStepState";

        private static readonly IReadOnlyList<string> s_projections = new[] { "qk_proj", "v_proj" };
        private static readonly IReadOnlyList<string> s_rotated = new[] { "qk" };

        public override SpecRuleSet? Rules => LshAttentionRules.All;

        protected override LshAttentionSpec? ParseSpec(AttributeArguments arguments) =>
            arguments.RequiredInt(nameof(LshAttentionAttribute.Heads), SpecLimits.Heads) is int heads
                ? new LshAttentionSpec(heads,
                    arguments.OptionalInt(nameof(LshAttentionAttribute.BucketSize)) ?? LshAttentionSpec.DefaultBucketSize,
                    arguments.OptionalInt(nameof(LshAttentionAttribute.Rounds)) ?? LshAttentionSpec.DefaultRounds,
                    arguments.OptionalInt(nameof(LshAttentionAttribute.Seed)) ?? 0,
                    arguments.Enum(nameof(LshAttentionAttribute.CausalWindow), LshAttentionSpec.DefaultCausalWindow))
                : null;

        protected override IEnumerable<(string Name, string Literal)> FormatSpec(LshAttentionSpec lsh) => new[]
        {
            Argument(nameof(LshAttentionAttribute.Heads), lsh.Heads), Argument(nameof(LshAttentionAttribute.BucketSize), lsh.BucketSize),
            Argument(nameof(LshAttentionAttribute.Rounds), lsh.Rounds), Argument(nameof(LshAttentionAttribute.Seed), lsh.Seed),
            Argument(nameof(LshAttentionAttribute.CausalWindow), lsh.CausalWindow),
        };

        public override IReadOnlyList<string> InputProjections => s_projections;

        public override IReadOnlyList<string> RotatedProjections => s_rotated;

        // The hashing rotations are drawn per forward pass; nothing is learned beside the projections.
        protected override bool HasOwnParameters(ModelSpec spec, LshAttentionSpec lsh) => false;

        protected override void EmitAttend(SourceWriter writer, ModelSpec spec, LshAttentionSpec lsh)
        {
            string rounds = SpecFormat.Int(lsh.Rounds), bucket = SpecFormat.Int(lsh.BucketSize);
            writer.WriteLine($"// Hashing: {rounds} random rotation{(lsh.Rounds == 1 ? "" : "s")} per head, drawn fresh in training (torch.manual_seed reproduces them) and from Seed = {SpecFormat.Int(lsh.Seed)} in evaluation.");
            if (lsh.AttendsWithinBucket(spec.Causal))
            {
                writer.WriteLine($"// The buckets are those of MaxLength = {SpecFormat.Int(spec.MaxLength)} whatever the length, so a position hashes alike in every prefix.");
                writer.WriteLine($"var rotations = {Rotations(spec, lsh, "training ? null : " + SpecFormat.Int(lsh.Seed) + "L", "qk.device, qk.dtype")};");
                writer.WriteLine($"// Attend: per round, each query sees the {bucket} latest earlier keys of its own bucket (the rows before it in (bucket, position) order),");
                writer.WriteLine("// which depend on earlier tokens only, and itself only without another target; keys are the normalised queries, and a key");
                writer.WriteLine("// in several rounds' windows counts once. The fused kernel reads the rows through the sort order (other devices and dtypes compose it).");
                writer.WriteLine($"var attended = {LshCausalAttention}.Attend(qk, v, rotations, bucketSize: {bucket}, keyPaddingMask);");
                return;
            }
            writer.WriteLine($"var rotations = {LshHashing}.RandomRotations(seq, Heads, HeadDim, rounds: {rounds}, bucketSize: {bucket}, seed: training ? null : {SpecFormat.Int(lsh.Seed)}L, qk.device, qk.dtype);");
            writer.WriteLine($"// Attend: per round, positions sorted by (bucket, position) in chunks of {bucket}, each attending to itself and the previous chunk;");
            writer.WriteLine($"// keys are the normalised queries, a token sees itself only without another target{(spec.Causal ? ", later positions are hidden" : "")}; rounds combined by log-sum-exp.");
            if (spec.Causal)
                writer.WriteLine("// Declared with the paper's chunking: where the chunk boundaries fall depends on later tokens too, so this model does not step.");
            writer.WriteLine($"// Hashing, sorting and gathering are TorchSharp ops; the chunk attention runs on the fused {LshKernelEmitter.ClassName} below (other devices and dtypes take the reference).");
            writer.WriteLine($"var attended = {LshChunkAttention}<{LshKernelEmitter.ClassName}>.Attend(qk, v, rotations, causal: {SpecFormat.Bool(spec.Causal)}, keyPaddingMask);");
        }

        // The hashing rotations of a model attending within buckets: as many buckets as MaxLength holds.
        private static string Rotations(ModelSpec spec, LshAttentionSpec lsh, string seed, string placement) =>
            $"{LshHashing}.RandomRotations({SpecFormat.Int(spec.MaxLength)}, Heads, HeadDim, rounds: {SpecFormat.Int(lsh.Rounds)}, bucketSize: {SpecFormat.Int(lsh.BucketSize)}, seed: {seed}, {placement})";

        /// <summary>A causal model attending within buckets steps: each layer keeps the latest keys of every bucket.</summary>
        protected override bool IsRecurrent(ModelSpec spec, LshAttentionSpec lsh) => lsh.AttendsWithinBucket(spec.Causal);

        public override StepStateDescription? StepState(ModelSpec spec, AttentionSpec attention) =>
            new("causal LSH attention", "LSH attention layers", "the positions of the latest BucketSize keys of every bucket in every round, and a key-value store that grows with the position", FixedSize: false);

        protected override void EmitStepAttend(SourceWriter writer, ModelSpec spec, LshAttentionSpec lsh)
        {
            writer.WriteLine($"// Hash the new token with the evaluation rotations (Seed = {SpecFormat.Int(lsh.Seed)}); in each round it attends to the latest keys of its bucket");
            writer.WriteLine("// and itself, then joins that bucket's cache.");
            writer.WriteLine($"var attended = state.Layer(layer, s => new {LshStepState}(s.Batch, bucketSize: {SpecFormat.Int(lsh.BucketSize)},");
            writer.Indented(() => writer.WriteLine($"{Rotations(spec, lsh, SpecFormat.Int(lsh.Seed) + "L", "s.Device, s.DType")}))"));
            writer.Indented(() => writer.WriteLine(".Step(qk, v, state.Positions, state.Active);"));
        }

        protected override void EmitNestedTypes(SourceWriter writer, ModelSpec spec, LshAttentionSpec lsh, string owner)
        {
            // Attending within buckets runs on the runtime's kernel, which reads rows through the sort order.
            if (lsh.AttendsWithinBucket(spec.Causal))
                return;
            writer.WriteLine();
            LshKernelEmitter.Emit(writer, spec, lsh, owner);
        }
    }
}
