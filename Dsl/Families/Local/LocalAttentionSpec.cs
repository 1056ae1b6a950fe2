using System;
using System.Collections.Generic;

namespace XformerDsl.Specs
{
    /// <summary>Blockwise local attention. See <see cref="LocalAttentionAttribute"/>.</summary>
    /// <param name="Heads">Number of heads. See <see cref="AttentionAttribute.Heads"/>.</param>
    /// <param name="Block">Tokens per block. See <see cref="LocalAttentionAttribute.Block"/>.</param>
    /// <param name="Before">Blocks before the query's own it sees. See <see cref="LocalAttentionAttribute.Before"/>.</param>
    /// <param name="After">Blocks after the query's own it sees (bidirectional only). See <see cref="LocalAttentionAttribute.After"/>.</param>
    public sealed record LocalAttentionSpec(int Heads, int Block, int Before = 0, int After = 0) : PatternAttentionSpec(Heads)
    {
        /// <inheritdoc/>
        public override string AttributeName => "LocalAttention";

        /// <inheritdoc/>
        public override string Complexity =>
            $"blockwise local softmax attention over blocks of {SpecFormat.Int(Block)}, linear: O(L·{SpecFormat.Int((Before + 1L + After) * Block)}·Dim) time per layer";

        /// <summary>Query block b sees key blocks b − Before … b + After (… b when causal, and no later key of block b).</summary>
        public override bool Sees(int query, int key, bool causal)
        {
            if (causal && key > query)
                return false;
            int queryBlock = query / Block, keyBlock = key / Block;
            return keyBlock >= queryBlock - Before && keyBlock <= queryBlock + (causal ? 0 : After);
        }

        /// <inheritdoc/>
        public override IEnumerable<(int Start, int End)> KeyRanges(int query, int length, bool causal)
        {
            long block = query / Block;
            long end = causal ? query + 1L : (block + After + 1) * Block;
            yield return Clip((block - Before) * Block, end, length);
        }

        /// <summary>
        /// Scores and weighted values each cost Dim MACs per visible key. A bidirectional query sees
        /// (Before + 1 + After)·Block keys; a causal one Before·Block plus, on average, (Block + 1) / 2 of its own block.
        /// Blocks cut off by the ends of the sequence are counted whole.
        /// </summary>
        public override long MixingMacsPerToken(int dim, int length, bool causal) =>
            causal ? (long)dim * (2L * Before * Block + Block + 1) : 2L * dim * (Before + 1L + After) * Block;

        /// <inheritdoc/>
        public override IEnumerable<SpecProblem> Problems(ModelSpec model, int index)
        {
            var problems = new List<SpecProblem>();
            void Add(SpecProblem? problem) { if (problem is not null) problems.Add(problem); }
            Add(PatternLimits.Check(PatternLimits.Block, Block, index));
            Add(PatternLimits.Check(PatternLimits.Before, Before, index));
            Add(PatternLimits.Check(PatternLimits.After, After, index));
            if (problems.Count > 0 || !SpecLimits.MaxLength.Contains(model.MaxLength))
                return problems;

            int length = model.MaxLength;
            if (length % Block != 0)
                problems.Add(Problem(PatternRules.BlockDoesNotDivideMaxLength, "Block",
                    "Block", SpecFormat.Int(Block), SpecFormat.Int(length), SpecFormat.Int(PatternLimits.LargestDivisorAtMost(length, Block)),
                    SpecFormat.Int((length + Block - 1L) / Block * Block)));
            if (model.Causal && After > 0)
                problems.Add(Problem(PatternRules.FutureInCausalModel, "After",
                    "After", SpecFormat.Int(After), After == 1 ? "a block" : SpecFormat.Int(After) + " blocks"));
            long blocks = Math.Max(1, length / Block);
            if (Before > blocks - 1)
                problems.Add(Problem(PatternRules.PatternExceedsSequence, "Before",
                    "Before", SpecFormat.Int(Before), $"(Before + 1)·Block = {SpecFormat.Int((Before + 1L) * Block)} positions", SpecFormat.Int(length), SpecFormat.Int(blocks - 1)));
            if (!model.Causal && After > blocks - 1)
                problems.Add(Problem(PatternRules.PatternExceedsSequence, "After",
                    "After", SpecFormat.Int(After), $"(After + 1)·Block = {SpecFormat.Int((After + 1L) * Block)} positions", SpecFormat.Int(length), SpecFormat.Int(blocks - 1)));
            return problems;

            SpecProblem Problem(SpecRule rule, string argument, params string[] values) =>
                new SpecProblem(rule, AttributeName, argument, ImmutableEquatableArray.Create(values), index);
        }
    }
}
