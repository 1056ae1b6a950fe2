using System.Collections.Generic;
using System.Linq;

namespace XformerDsl.Specs
{
    /// <summary>LSH attention with shared query-key projections (Reformer). See <see cref="LshAttentionAttribute"/>.</summary>
    /// <param name="Heads">Number of heads. See <see cref="AttentionAttribute.Heads"/>.</param>
    /// <param name="BucketSize">Positions per chunk. See <see cref="LshAttentionAttribute.BucketSize"/>.</param>
    /// <param name="Rounds">Hashing rounds. See <see cref="LshAttentionAttribute.Rounds"/>.</param>
    /// <param name="Seed">Evaluation-mode hashing seed. See <see cref="LshAttentionAttribute.Seed"/>.</param>
    /// <param name="CausalWindow">A causal query's keys in each round. See <see cref="LshAttentionAttribute.CausalWindow"/>.</param>
    public sealed record LshAttentionSpec(int Heads, int BucketSize, int Rounds, int Seed, LshCausalWindow CausalWindow = LshCausalWindow.PreviousInBucket)
        : AttentionSpec(Heads)
    {
        /// <summary>A causal query's window when a declaration leaves <c>CausalWindow</c> out: the previous keys of its own bucket.</summary>
        public const LshCausalWindow DefaultCausalWindow = LshCausalWindow.PreviousInBucket;

        /// <summary>
        /// True when a model of causality <paramref name="causal"/> attends through each query's own bucket
        /// (<see cref="LshCausalWindow.PreviousInBucket"/>) rather than the paper's sorted chunks.
        /// </summary>
        public bool AttendsWithinBucket(bool causal) => causal && CausalWindow == LshCausalWindow.PreviousInBucket;

        /// <summary>The bucket size when a declaration leaves <c>BucketSize</c> out: the Reformer paper's chunk length.</summary>
        public const int DefaultBucketSize = 64;

        /// <summary>The hashing rounds when a declaration leaves <c>Rounds</c> out.</summary>
        public const int DefaultRounds = 2;

        /// <inheritdoc/>
        public override string AttributeName => "LshAttention";

        /// <inheritdoc/>
        public override string Complexity => CausalWindow == LshCausalWindow.PreviousInBucket
            ? $"LSH attention, {SpecFormat.Int(Rounds)} round{(Rounds == 1 ? "" : "s")} of windows of {SpecFormat.Int(BucketSize)} (the latest earlier keys of a query's bucket when causal, chunks otherwise): O(L·{SpecFormat.Int(2L * BucketSize * Rounds)}·Dim) time per layer"
            : $"LSH attention, {SpecFormat.Int(Rounds)} round{(Rounds == 1 ? "" : "s")} of chunks of {SpecFormat.Int(BucketSize)}: O(L·{SpecFormat.Int(2L * BucketSize * Rounds)}·Dim) time per layer";

        /// <summary>Shared query-key, value and output projections: three Dim × Dim matrices.</summary>
        public override long ParametersPerLayer(int dim, bool bias) => 3L * dim * dim + (bias ? 3L * dim : 0);

        /// <inheritdoc/>
        public override long ProjectionMacsPerToken(int dim) => 3L * dim * dim;

        /// <summary>
        /// Per round, every query scores a window of 2·BucketSize keys and weights as many values (2·Dim MACs per key,
        /// summed over heads), and hashing rotates the query by buckets / 2 directions per head (Dim · buckets / 2). A
        /// causal query attending within its bucket scores at most BucketSize keys per round, plus itself once.
        /// </summary>
        public override long MixingMacsPerToken(int dim, int length, bool causal)
        {
            long padded = (length + 2L * BucketSize - 1) / (2L * BucketSize) * 2L * BucketSize;
            long buckets = padded / BucketSize;
            return AttendsWithinBucket(causal)
                ? Rounds * (2L * dim * BucketSize + dim * (buckets / 2)) + 2L * dim
                : Rounds * (2L * dim * 2L * BucketSize + dim * (buckets / 2));
        }

        /// <inheritdoc/>
        public override IEnumerable<SpecProblem> Problems(ModelSpec model, int index)
        {
            bool sizesInRange = true;
            foreach (var (limit, value) in new[] { (LshAttentionRules.BucketSize, BucketSize), (LshAttentionRules.Rounds, Rounds) })
            {
                if (!limit.Contains(value))
                {
                    sizesInRange = false;
                    yield return SpecValidation.RangeProblem(limit, value) with { AttentionIndex = index };
                }
            }
            if (!System.Enum.IsDefined(typeof(LshCausalWindow), CausalWindow))
                yield return SpecValidation.UndefinedEnumProblem(AttributeName, "CausalWindow", CausalWindow) with { AttentionIndex = index };
            if (!sizesInRange || !SpecLimits.MaxLength.Contains(model.MaxLength))
                yield break;
            int maxLength = model.MaxLength;
            if (maxLength % BucketSize != 0)
            {
                yield return new SpecProblem(LshAttentionRules.MaxLengthNotMultipleOfBucketSize, AttributeName, "BucketSize",
                    ImmutableEquatableArray.Create(SpecFormat.Int(BucketSize), SpecFormat.Int(maxLength),
                        EvenBucketSizes(maxLength, BucketSize), SpecFormat.Int(RoundUp(maxLength, 2L * BucketSize)))) with { AttentionIndex = index };
            }
            else if (maxLength / BucketSize % 2 != 0)
            {
                yield return new SpecProblem(LshAttentionRules.OddNumberOfBuckets, AttributeName, "BucketSize",
                    ImmutableEquatableArray.Create(SpecFormat.Int(BucketSize), SpecFormat.Int(maxLength), SpecFormat.Int(maxLength / BucketSize),
                        EvenBucketSizes(maxLength, BucketSize), SpecFormat.Int(RoundUp(maxLength, 2L * BucketSize)))) with { AttentionIndex = index };
            }
        }

        private static long RoundUp(long value, long multiple) => (value + multiple - 1) / multiple * multiple;

        // Bucket sizes nearest the requested one that cut maxLength into an even number of buckets: "32 or 64".
        private static string EvenBucketSizes(int maxLength, int requested)
        {
            var fitting = Enumerable.Range(1, maxLength / 2).Where(b => maxLength % (2 * b) == 0).ToList();
            if (fitting.Count == 0)
                return "(none: make MaxLength even)";
            var below = fitting.Where(b => b <= requested).DefaultIfEmpty(0).Max();
            var above = fitting.Where(b => b >= requested).DefaultIfEmpty(0).Min();
            var picks = new[] { below, above }.Where(b => b > 0).Distinct().Select(b => SpecFormat.Int(b));
            return string.Join(" or ", picks);
        }
    }
}
