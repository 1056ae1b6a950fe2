using System.Collections.Generic;

namespace XformerDsl.Specs
{
    /// <summary>Sparse Sinkhorn attention over softly sorted blocks. See <see cref="SinkhornAttentionAttribute"/>.</summary>
    /// <param name="Heads">Number of heads. See <see cref="AttentionAttribute.Heads"/>.</param>
    /// <param name="Block">Tokens per block. See <see cref="SinkhornAttentionAttribute.Block"/>.</param>
    /// <param name="Iterations">Sinkhorn normalisations. See <see cref="SinkhornAttentionAttribute.Iterations"/>.</param>
    /// <param name="Temperature">The Gumbel-Sinkhorn temperature. See <see cref="SinkhornAttentionAttribute.Temperature"/>.</param>
    /// <param name="SortCut">Sorted blocks every query attends to, or 0. See <see cref="SinkhornAttentionAttribute.SortCut"/>.</param>
    public sealed record SinkhornAttentionSpec(int Heads, int Block = SinkhornAttentionSpec.DefaultBlock, int Iterations = SinkhornAttentionSpec.DefaultIterations,
        double Temperature = SinkhornAttentionSpec.DefaultTemperature, int SortCut = 0) : AttentionSpec(Heads)
    {
        /// <summary>The block when a declaration leaves it out: 64 tokens, one kernel tile.</summary>
        public const int DefaultBlock = 64;

        /// <summary>The Sinkhorn iterations when a declaration leaves them out: 7, the paper's best.</summary>
        public const int DefaultIterations = 7;

        /// <summary>The temperature when a declaration leaves it out: 0.75, the paper's.</summary>
        public const double DefaultTemperature = 0.75;

        /// <inheritdoc/>
        public override string AttributeName => "SinkhornAttention";

        /// <inheritdoc/>
        public override string Complexity => SortCut > 0
            ? $"Sinkhorn attention with SortCut: every query attends to {SpecFormat.Int(SortCut)} softly sorted blocks of {SpecFormat.Int(Block)}, O(L·{SpecFormat.Int((long)SortCut * Block)}·Dim) time per layer"
            : $"Sinkhorn attention over blocks of {SpecFormat.Int(Block)}, each attending to a softly sorted block and itself: O(L·{SpecFormat.Int(2L * Block)}·Dim) for attention and O(L·(L/{SpecFormat.Int(Block)})·Dim) for sorting, per layer";

        /// <summary>The Q, K, V and output projections, and the sorting network's <c>[headDim, headDim]</c> projection of pooled queries.</summary>
        public override long ParametersOfLayer(ModelSpec model, int layer)
        {
            long headDim = model.HeadDimOf(this);
            return ParametersPerLayer(model.Dim, model.Bias) + headDim * headDim;
        }

        /// <summary>
        /// Attention: scores and weighted values cost Dim MACs per visible key, 2·Block keys per query (a causal query sees
        /// on average Block of the sorted block, none in the first, and (Block + 1) / 2 of its own), SortCut·Block with
        /// SortCut. Sorting: every sorted key and value row mixes the L / Block blocks (half of them on average when
        /// causal), 2·Dim·(L / Block) per token, or 2·Dim·SortCut with SortCut.
        /// </summary>
        public override long MixingMacsPerToken(int dim, int length, bool causal)
        {
            long blocks = System.Math.Max(1, length / System.Math.Max(1, Block));
            if (SortCut > 0)
                return 2L * dim * SortCut * Block + 2L * dim * SortCut;
            return causal
                ? (long)dim * (2L * Block * (blocks - 1) / blocks + Block + 1) + (long)dim * blocks
                : 4L * dim * Block + 2L * dim * blocks;
        }

        /// <inheritdoc/>
        public override IEnumerable<SpecProblem> Problems(ModelSpec model, int index)
        {
            var problems = new List<SpecProblem>();
            void Add(SpecRule rule, string argument, params string[] values) =>
                problems.Add(new SpecProblem(rule, AttributeName, argument, ImmutableEquatableArray.Create(values), index));
            void Range(SizeLimit limit, int value)
            {
                if (!limit.Contains(value))
                    problems.Add(SpecValidation.RangeProblem(limit, value) with { AttentionIndex = index });
            }
            Range(SinkhornAttentionRules.Block, Block);
            Range(SinkhornAttentionRules.Iterations, Iterations);
            Range(SinkhornAttentionRules.SortCut, SortCut);
            if (!(Temperature > 0 && !double.IsInfinity(Temperature)))
                Add(SinkhornAttentionRules.TemperatureNotPositive, "Temperature", SpecFormat.Double(Temperature));
            if (model.Causal && SortCut > 0)
                Add(SinkhornAttentionRules.SortCutInCausalModel, "SortCut", SpecFormat.Int(SortCut));
            if (!SinkhornAttentionRules.Block.Contains(Block) || !SpecLimits.MaxLength.Contains(model.MaxLength))
                return problems;

            int length = model.MaxLength;
            if (length % Block != 0)
            {
                Add(SinkhornAttentionRules.BlockDoesNotDivideMaxLength, "Block", SpecFormat.Int(Block), SpecFormat.Int(length),
                    SpecFormat.Int(PatternLimits.LargestDivisorAtMost(length, System.Math.Min(Block, length / 2))),
                    SpecFormat.Int((length + Block - 1L) / Block * Block));
                return problems;
            }
            int blocks = length / Block;
            if (blocks < 2)
                Add(SinkhornAttentionRules.SingleBlock, "Block", SpecFormat.Int(Block), SpecFormat.Int(length), SpecFormat.Int(PatternLimits.LargestDivisorAtMost(length, length / 2)));
            else if (SortCut > blocks)
                Add(SinkhornAttentionRules.SortCutExceedsBlocks, "SortCut", SpecFormat.Int(SortCut), SpecFormat.Int(blocks));
            return problems;
        }
    }
}
