using System;
using System.Collections.Generic;
using System.Linq;

namespace XformerDsl.Specs
{
    /// <summary>Sparse Transformer attention, strided or fixed. See <see cref="SparseAttentionAttribute"/>.</summary>
    /// <param name="Heads">Number of heads. See <see cref="AttentionAttribute.Heads"/>.</param>
    /// <param name="Stride">The pattern's period. See <see cref="SparseAttentionAttribute.Stride"/>.</param>
    /// <param name="Mode">Strided or fixed. See <see cref="SparseAttentionAttribute.Mode"/>.</param>
    /// <param name="Summary">Fixed only: summary positions per block. See <see cref="SparseAttentionAttribute.Summary"/>.</param>
    public sealed record SparseAttentionSpec(int Heads, int Stride, SparsePattern Mode = SparsePattern.Strided, int Summary = 1) : PatternAttentionSpec(Heads)
    {
        /// <inheritdoc/>
        public override string AttributeName => "SparseAttention";

        /// <inheritdoc/>
        public override string Complexity =>
            $"{(Mode == SparsePattern.Fixed ? "fixed" : "strided")} sparse softmax attention with stride {SpecFormat.Int(Stride)}: O(L·(Stride + L / Stride)·Dim) time per layer";

        /// <summary>
        /// Strided: |query − key| &lt; Stride, or a multiple of Stride. Fixed: the same block of Stride, or key among the
        /// last Summary positions of its block. Causal: and key ≤ query.
        /// </summary>
        public override bool Sees(int query, int key, bool causal)
        {
            if (causal && key > query)
                return false;
            if (Mode == SparsePattern.Fixed)
                return query / Stride == key / Stride || key % Stride >= Stride - Summary;
            long distance = Math.Abs((long)query - key);
            return distance < Stride || distance % Stride == 0;
        }

        /// <inheritdoc/>
        public override IEnumerable<(int Start, int End)> KeyRanges(int query, int length, bool causal)
        {
            int end = causal ? query + 1 : length;
            if (Mode == SparsePattern.Fixed)
            {
                long block = query / Stride;
                yield return Clip(block * Stride, causal ? query + 1L : (block + 1) * Stride, length);
                for (long start = 0; start < end; start += Stride)
                    yield return Clip(start + Stride - Summary, Math.Min(start + Stride, end), length);
                yield break;
            }
            yield return Clip(query - Stride + 1L, causal ? query + 1L : query + (long)Stride, length);
            for (long key = query % Stride; key < end; key += Stride)
                yield return Clip(key, key + 1, length);
        }

        /// <summary>
        /// Scores and weighted values each cost Dim MACs per visible key. Strided: about Stride local keys and L / Stride
        /// strided ones (half of each when causal); fixed: about Stride in the block and Summary·L / Stride summaries
        /// (half of each when causal).
        /// </summary>
        public override long MixingMacsPerToken(int dim, int length, bool causal)
        {
            long keys = Mode == SparsePattern.Fixed
                ? Stride + (long)Summary * length / Math.Max(1, Stride)
                : 2L * Stride + length / Math.Max(1, Stride);
            return 2L * dim * (causal ? (keys + 1) / 2 : keys);
        }

        /// <inheritdoc/>
        public override IEnumerable<SpecProblem> Problems(ModelSpec model, int index)
        {
            var problems = new List<SpecProblem>();
            void Add(SpecProblem? problem) { if (problem is not null) problems.Add(problem); }
            Add(PatternLimits.Check(PatternLimits.Stride, Stride, index));
            if (!Enum.IsDefined(typeof(SparsePattern), Mode))
                problems.Add(Problem(SpecRules.UndefinedEnumValue, "Mode", "Mode", SpecFormat.Enum(Mode), nameof(SparsePattern),
                    string.Join(", ", Enum.GetNames(typeof(SparsePattern)).Select(name => nameof(SparsePattern) + "." + name))));
            if (problems.Count > 0 || !SpecLimits.MaxLength.Contains(model.MaxLength))
                return problems;
            if (Mode == SparsePattern.Fixed)
                Add(PatternLimits.Check(PatternLimits.Summary with { Max = Stride, Example = Math.Max(1, Stride / 16) }, Summary, index));

            int length = model.MaxLength;
            if (Stride > length)
                problems.Add(Problem(PatternRules.PatternExceedsSequence, "Stride",
                    "Stride", SpecFormat.Int(Stride), $"a period of {SpecFormat.Int(Stride)} positions", SpecFormat.Int(length), SpecFormat.Int(length)));
            else if (Mode == SparsePattern.Fixed && length % Stride != 0)
                problems.Add(Problem(PatternRules.BlockDoesNotDivideMaxLength, "Stride",
                    "Stride", SpecFormat.Int(Stride), SpecFormat.Int(length), SpecFormat.Int(PatternLimits.LargestDivisorAtMost(length, Stride)),
                    SpecFormat.Int((length + Stride - 1L) / Stride * Stride)));
            return problems;

            SpecProblem Problem(SpecRule rule, string argument, params string[] values) =>
                new SpecProblem(rule, AttributeName, argument, ImmutableEquatableArray.Create(values), index);
        }
    }
}
