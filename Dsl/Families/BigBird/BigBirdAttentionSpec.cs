using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;

namespace XformerDsl.Specs
{
    /// <summary>BigBird attention: window, global and random blocks. See <see cref="BigBirdAttentionAttribute"/>.</summary>
    /// <param name="Heads">Number of heads. See <see cref="AttentionAttribute.Heads"/>.</param>
    /// <param name="Block">Tokens per block. See <see cref="BigBirdAttentionAttribute.Block"/>.</param>
    /// <param name="WindowBlocks">Blocks in each window. See <see cref="BigBirdAttentionAttribute.WindowBlocks"/>.</param>
    /// <param name="GlobalBlocks">Leading global blocks. See <see cref="BigBirdAttentionAttribute.GlobalBlocks"/>.</param>
    /// <param name="RandomBlocks">Random blocks per query block. See <see cref="BigBirdAttentionAttribute.RandomBlocks"/>.</param>
    /// <param name="Seed">The random layout's seed. See <see cref="BigBirdAttentionAttribute.Seed"/>.</param>
    public sealed record BigBirdAttentionSpec(int Heads, int Block, int WindowBlocks = BigBirdAttentionSpec.DefaultWindowBlocks, int GlobalBlocks = BigBirdAttentionSpec.DefaultGlobalBlocks,
        int RandomBlocks = BigBirdAttentionSpec.DefaultRandomBlocks, int Seed = 0)
        : PatternAttentionSpec(Heads)
    {
        /// <summary>Window blocks when a declaration leaves <c>WindowBlocks</c> out (the BigBird paper's 3).</summary>
        public const int DefaultWindowBlocks = 3;

        /// <summary>Global blocks when a declaration leaves <c>GlobalBlocks</c> out.</summary>
        public const int DefaultGlobalBlocks = 2;

        /// <summary>Random blocks when a declaration leaves <c>RandomBlocks</c> out.</summary>
        public const int DefaultRandomBlocks = 3;

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
        public int[] RandomBlocksOf(int queryBlock, bool causal) => (int[])Draws(queryBlock, causal).Clone();

        // Sees and KeyRanges ask for the same draws millions of times while the generator lays out a kernel (XF0039
        // bounds how many): each spec instance keeps its draws, and the blocks that drew each block, beside it. A
        // table keyed by reference keeps them out of the record's equality and lets them go with the spec.
        private static readonly ConditionalWeakTable<BigBirdAttentionSpec, DrawCache> s_draws = new ConditionalWeakTable<BigBirdAttentionSpec, DrawCache>();

        private sealed class DrawCache
        {
            public readonly ConcurrentDictionary<long, int[]> Draws = new ConcurrentDictionary<long, int[]>();
            public readonly Dictionary<long, int[][]> DrawnBy = new Dictionary<long, int[][]>();
        }

        private int[] Draws(int queryBlock, bool causal)
        {
            var draws = s_draws.GetValue(this, _ => new DrawCache()).Draws;
            long key = (long)queryBlock << 1 | (causal ? 1L : 0L);
            return draws.TryGetValue(key, out var drawn) ? drawn : draws.GetOrAdd(key, Draw(queryBlock, causal));
        }

        // For each of the sequence's blocks, the later blocks whose random draw includes it, ascending.
        private int[][] DrawnBy(int length, bool causal)
        {
            var cache = s_draws.GetValue(this, _ => new DrawCache());
            long key = (long)length << 1 | (causal ? 1L : 0L);
            lock (cache)
            {
                if (cache.DrawnBy.TryGetValue(key, out var drawnBy))
                    return drawnBy;
            }
            int blocks = (length + Block - 1) / Block;
            var lists = new List<int>[blocks];
            for (int later = 0; later < blocks; later++)
                foreach (int block in Draws(later, causal))
                    if (block >= 0 && block < later)
                        (lists[block] ??= new List<int>()).Add(later);
            var result = lists.Select(list => list?.ToArray() ?? Array.Empty<int>()).ToArray();
            lock (cache)
                cache.DrawnBy[key] = result;
            return result;
        }

        private int[] Draw(int queryBlock, bool causal)
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
            return Array.IndexOf(Draws(queryBlock, causal), keyBlock) >= 0
                || (!causal && Array.IndexOf(Draws(keyBlock, causal), queryBlock) >= 0);
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
            foreach (int block in Draws(queryBlock, causal))
                yield return Clip((long)block * Block, (block + 1L) * Block, length);
            if (causal)
                yield break;
            // Bidirectional: the later blocks that drew this one.
            var drawnBy = DrawnBy(length, causal);
            if (queryBlock >= 0 && queryBlock < drawnBy.Length)
                foreach (int later in drawnBy[queryBlock])
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
