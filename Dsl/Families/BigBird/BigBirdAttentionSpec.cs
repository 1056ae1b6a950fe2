using System;
using System.Collections.Generic;
using System.Linq;

namespace XformerDsl.Specs
{
    /// <summary>BigBird attention: window, global and random blocks. See <see cref="BigBirdAttentionAttribute"/>.</summary>
    /// <param name="Heads">Number of heads. See <see cref="AttentionAttribute.Heads"/>.</param>
    /// <param name="Block">Tokens per block. See <see cref="BigBirdAttentionAttribute.Block"/>.</param>
    /// <param name="WindowBlocks">Blocks in each window. See <see cref="BigBirdAttentionAttribute.WindowBlocks"/>.</param>
    /// <param name="GlobalBlocks">Leading global blocks. See <see cref="BigBirdAttentionAttribute.GlobalBlocks"/>.</param>
    /// <param name="RandomBlocks">Random blocks per query block. See <see cref="BigBirdAttentionAttribute.RandomBlocks"/>.</param>
    /// <param name="Seed">The random layout's seed. See <see cref="BigBirdAttentionAttribute.Seed"/>.</param>
    public sealed record BigBirdAttentionSpec(int Heads, int Block, int WindowBlocks = 3, int GlobalBlocks = 2, int RandomBlocks = 3, int Seed = 0)
        : PatternAttentionSpec(Heads)
    {
        /// <inheritdoc/>
        public override string AttributeName => "BigBirdAttention";

        /// <inheritdoc/>
        public override string Complexity =>
            $"BigBird block-sparse softmax attention (blocks of {SpecFormat.Int(Block)}: {SpecFormat.Int(WindowBlocks)} window, {SpecFormat.Int(GlobalBlocks)} global, {SpecFormat.Int(RandomBlocks)} random), linear: O(L·{SpecFormat.Int((long)(WindowBlocks + GlobalBlocks + RandomBlocks) * Block)}·Dim) time per layer";

        /// <summary>Window blocks before the query's own: WindowBlocks − 1 when causal, WindowBlocks / 2 when bidirectional.</summary>
        public int WindowBefore(bool causal) => causal ? WindowBlocks - 1 : WindowBlocks / 2;

        /// <summary>
        /// The random blocks of query block <paramref name="queryBlock"/>, ascending: up to RandomBlocks distinct blocks
        /// drawn (Floyd's algorithm over SplitMix64 seeded from Seed and the block) among the non-global blocks before
        /// its window.
        /// </summary>
        public int[] RandomBlocksOf(int queryBlock, bool causal)
        {
            long first = GlobalBlocks, end = (long)queryBlock - WindowBefore(causal);   // candidates [first, end)
            long count = end - first;
            if (count <= 0 || RandomBlocks <= 0)
                return Array.Empty<int>();
            int take = (int)Math.Min(RandomBlocks, count);
            ulong state = unchecked((ulong)Seed * 0x9E3779B97F4A7C15UL ^ (ulong)queryBlock * 0xD1B54A32D192ED03UL);
            var chosen = new List<long>(take);
            for (long j = count - take; j < count; j++)
            {
                long t = (long)(Next(ref state) % (ulong)(j + 1));
                chosen.Add(chosen.Contains(t) ? j : t);
            }
            return chosen.Select(offset => (int)(first + offset)).OrderBy(block => block).ToArray();
        }

        // SplitMix64 (Steele et al., 2014): a small, well-mixed generator that gives the same numbers on every platform.
        private static ulong Next(ref ulong state)
        {
            ulong z = unchecked(state += 0x9E3779B97F4A7C15UL);
            z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
            z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
            return z ^ (z >> 31);
        }

        /// <summary>Global, window or random block (random links two-way when bidirectional); causal: and key ≤ query.</summary>
        public override bool Sees(int query, int key, bool causal)
        {
            if (causal && key > query)
                return false;
            int queryBlock = query / Block, keyBlock = key / Block;
            if (keyBlock < GlobalBlocks || (!causal && queryBlock < GlobalBlocks))
                return true;
            int apart = queryBlock - keyBlock;
            if (apart >= 0 ? apart <= WindowBefore(causal) : -apart <= WindowBlocks / 2)
                return true;
            return Array.IndexOf(RandomBlocksOf(queryBlock, causal), keyBlock) >= 0
                || (!causal && Array.IndexOf(RandomBlocksOf(keyBlock, causal), queryBlock) >= 0);
        }

        /// <inheritdoc/>
        public override IEnumerable<(int Start, int End)> KeyRanges(int query, int length, bool causal)
        {
            int queryBlock = query / Block;
            if (!causal && queryBlock < GlobalBlocks)
            {
                yield return (0, length);
                yield break;
            }
            yield return Clip(0, (long)GlobalBlocks * Block, length);
            yield return Clip((queryBlock - (long)WindowBefore(causal)) * Block, causal ? query + 1L : (queryBlock + WindowBlocks / 2 + 1L) * Block, length);
            foreach (int block in RandomBlocksOf(queryBlock, causal))
                yield return Clip((long)block * Block, (block + 1L) * Block, length);
            if (causal)
                yield break;
            // Bidirectional: the later blocks that drew this one.
            int blocks = (length + Block - 1) / Block;
            for (int later = queryBlock + 1; later < blocks; later++)
                if (Array.IndexOf(RandomBlocksOf(later, causal), queryBlock) >= 0)
                    yield return Clip((long)later * Block, (later + 1L) * Block, length);
        }

        /// <summary>
        /// Scores and weighted values each cost Dim MACs per visible key: (WindowBlocks + GlobalBlocks + RandomBlocks)
        /// blocks per query (random links two-way when bidirectional, about twice as many), ignoring the sequence's edges.
        /// </summary>
        public override long MixingMacsPerToken(int dim, int length, bool causal) =>
            2L * dim * Block * (WindowBlocks + GlobalBlocks + (causal ? 1L : 2L) * RandomBlocks);

        /// <inheritdoc/>
        public override IEnumerable<SpecProblem> Problems(ModelSpec model, int index)
        {
            var problems = new List<SpecProblem>();
            void Add(SpecProblem? problem) { if (problem is not null) problems.Add(problem); }
            Add(PatternLimits.Check(PatternLimits.Block with { Attribute = AttributeName }, Block, index));
            Add(PatternLimits.Check(PatternLimits.WindowBlocks, WindowBlocks, index));
            Add(PatternLimits.Check(PatternLimits.GlobalBlocks, GlobalBlocks, index));
            Add(PatternLimits.Check(PatternLimits.RandomBlocks, RandomBlocks, index));
            if (problems.Count > 0 || !SpecLimits.MaxLength.Contains(model.MaxLength))
                return problems;

            int length = model.MaxLength;
            if (length % Block != 0)
            {
                problems.Add(Problem(PatternRules.BlockDoesNotDivideMaxLength, "Block",
                    "Block", SpecFormat.Int(Block), SpecFormat.Int(length), SpecFormat.Int(PatternLimits.LargestDivisorAtMost(length, Block)),
                    SpecFormat.Int((length + Block - 1L) / Block * Block)));
                return problems;
            }
            int blocks = length / Block;
            long windowSpan = model.Causal ? WindowBlocks : 2L * (WindowBlocks / 2) + 1;
            if (windowSpan > blocks)
                problems.Add(Problem(PatternRules.PatternExceedsSequence, "WindowBlocks",
                    "WindowBlocks", SpecFormat.Int(WindowBlocks), $"{SpecFormat.Int(windowSpan)} blocks of {SpecFormat.Int(Block)}", SpecFormat.Int(length),
                    SpecFormat.Int(model.Causal ? blocks : Math.Max(1, blocks - 1 + (blocks % 2)))));
            if (GlobalBlocks >= blocks)
                problems.Add(Problem(PatternRules.GlobalTokensCoverSequence, "GlobalBlocks",
                    "GlobalBlocks", SpecFormat.Int(GlobalBlocks), $"{SpecFormat.Int(GlobalBlocks)}·{SpecFormat.Int(Block)} positions", SpecFormat.Int(length), SpecFormat.Int(Math.Max(0, Math.Min(2, blocks - 1)))));
            else
            {
                // The last query block has the most candidates: the non-global blocks before its window.
                long available = Math.Max(0, blocks - 1 - WindowBefore(model.Causal) - (long)GlobalBlocks);
                if (RandomBlocks > available)
                    problems.Add(Problem(PatternRules.TooManyRandomBlocks, "RandomBlocks",
                        SpecFormat.Int(RandomBlocks), SpecFormat.Int(blocks), SpecFormat.Int(GlobalBlocks), SpecFormat.Int(WindowBefore(model.Causal) + 1L), SpecFormat.Int(available)));
            }
            return problems;

            SpecProblem Problem(SpecRule rule, string argument, params string[] values) =>
                new SpecProblem(rule, AttributeName, argument, ImmutableEquatableArray.Create(values), index);
        }
    }
}
