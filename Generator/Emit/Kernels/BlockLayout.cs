using System.Collections.Generic;
using System.Linq;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Kernels
{
    /// <summary>
    /// The tiles a pattern family's kernel visits, computed at compile time for MaxLength: for every query tile, the
    /// key tiles holding at least one key one of its queries sees, each marked full (every query sees every key: no
    /// mask) or partial (an element mask applies); and the same pairs transposed, for every key tile its query tiles,
    /// which the backward pass sweeps. Both are compressed sparse rows (offsets into one list), so their size, like the
    /// kernel's work, grows with the number of visited tiles, about seq × window / tile², never seq².
    /// </summary>
    internal sealed class BlockLayout
    {
        private BlockLayout(int queryTiles, int keyTiles, IReadOnlyList<(int Query, int Key, bool Partial)> pairs)
        {
            QueryTiles = queryTiles;
            KeyTiles = keyTiles;
            ByQueryTile = pairs.OrderBy(p => p.Query).ThenBy(p => p.Key).ToList();
            ByKeyTile = pairs.OrderBy(p => p.Key).ThenBy(p => p.Query).ToList();
        }

        public int QueryTiles { get; }
        public int KeyTiles { get; }

        /// <summary>Visited pairs ordered by query tile, then key tile.</summary>
        public IReadOnlyList<(int Query, int Key, bool Partial)> ByQueryTile { get; }

        /// <summary>The same pairs ordered by key tile, then query tile.</summary>
        public IReadOnlyList<(int Query, int Key, bool Partial)> ByKeyTile { get; }

        public int PartialPairs => ByQueryTile.Count(p => p.Partial);

        /// <summary>
        /// The most (query tile, key tile) pairs the generator writes into one kernel. Each pair is an entry in each of
        /// the layout's two constant arrays and is tested key by key at compile time, so a layout far beyond this makes
        /// the generator slow and the generated file huge (XF0039). The work behind the pairs is bounded too, by
        /// <see cref="MaxSteps"/>, which is what refuses a 256-key window at MaxLength 1,048,576 (82,000 pairs, but
        /// 340,000,000 steps).
        /// </summary>
        public const int MaxPairs = 1 << 17;

        /// <summary>
        /// The most elementary steps (a key range scanned, a key tile touched, one <see cref="PatternAttentionSpec.Sees"/>
        /// test, weighted by what the family says each costs) <see cref="Of"/> may take for one kernel: about a second
        /// on one slow core, so that a model's whole generation stays within two seconds (XF0039).
        /// </summary>
        public const long MaxSteps = 100_000_000;

        /// <summary>
        /// What <see cref="Of"/> would cost, measured without doing it: the key tiles its first phase touches (an upper
        /// bound of its pairs, exact but for pairs with no visible key) and a safe upper bound of its steps, counting
        /// every range <see cref="PatternAttentionSpec.KeyRanges"/> yields (and, through
        /// <paramref name="stepsPerKeyRanges"/>, the work a call does before yielding), every tile touched, and every
        /// Sees test of the second phase as if no pair stopped early. Stops as soon as either exceeds its limit, so it
        /// never costs more than about <see cref="MaxSteps"/> itself.
        /// </summary>
        public static (long Pairs, long Steps) Measure(PatternAttentionSpec pattern, bool causal, int length, int queryTile, int keyTile,
            long stepsPerKeyRanges, long stepsPerSees)
        {
            // The first phase calls KeyRanges once per query: a bound known before doing anything.
            if (length > 0 && stepsPerKeyRanges > MaxSteps / length)
                return (0, stepsPerKeyRanges > long.MaxValue / length ? long.MaxValue : length * stepsPerKeyRanges);
            long steps = length * stepsPerKeyRanges;
            long pairs = 0;
            long seesPerPair = (long)queryTile * keyTile * stepsPerSees;
            int queryTiles = (length + queryTile - 1) / queryTile;
            var touched = new HashSet<int>();
            for (int qt = 0; qt < queryTiles; qt++)
            {
                touched.Clear();
                int firstQuery = qt * queryTile, lastQuery = System.Math.Min(length, firstQuery + queryTile) - 1;
                for (int query = firstQuery; query <= lastQuery; query++)
                {
                    foreach (var (start, end) in pattern.KeyRanges(query, length, causal))
                    {
                        steps++;
                        for (int kt = start / keyTile; start < end && kt <= (end - 1) / keyTile; kt++)
                        {
                            steps++;
                            touched.Add(kt);
                        }
                        if (steps > MaxSteps)
                            return (pairs + touched.Count, steps);
                    }
                }
                pairs += touched.Count;
                if (touched.Count > 0 && seesPerPair > (MaxSteps - steps) / touched.Count)
                    return (pairs, MaxSteps + 1);
                steps += touched.Count * seesPerPair;
                if (steps > MaxSteps || pairs > MaxPairs)
                    return (pairs, steps);
            }
            return (pairs, steps);
        }

        /// <summary>
        /// Scans each query's <see cref="PatternAttentionSpec.KeyRanges"/> for the key tiles it can touch, then tests
        /// every (query, key) of each touched tile pair with <see cref="PatternAttentionSpec.Sees"/> to drop empty pairs
        /// and tell full ones from partial ones.
        /// </summary>
        public static BlockLayout Of(PatternAttentionSpec pattern, bool causal, int length, int queryTile, int keyTile)
        {
            int queryTiles = (length + queryTile - 1) / queryTile;
            int keyTiles = (length + keyTile - 1) / keyTile;
            var pairs = new List<(int, int, bool)>();
            var touched = new SortedSet<int>();
            for (int qt = 0; qt < queryTiles; qt++)
            {
                touched.Clear();
                int firstQuery = qt * queryTile, lastQuery = System.Math.Min(length, firstQuery + queryTile) - 1;
                for (int query = firstQuery; query <= lastQuery; query++)
                    foreach (var (start, end) in pattern.KeyRanges(query, length, causal))
                        for (int kt = start / keyTile; start < end && kt <= (end - 1) / keyTile; kt++)
                            touched.Add(kt);
                foreach (int kt in touched)
                {
                    int firstKey = kt * keyTile, lastKey = System.Math.Min(length, firstKey + keyTile) - 1;
                    // Stop as soon as the pair has shown both a visible and a hidden key: it is partial.
                    bool anyVisible = false, anyHidden = false;
                    for (int query = firstQuery; query <= lastQuery && !(anyVisible && anyHidden); query++)
                        for (int key = firstKey; key <= lastKey && !(anyVisible && anyHidden); key++)
                        {
                            if (pattern.Sees(query, key, causal))
                                anyVisible = true;
                            else
                                anyHidden = true;
                        }
                    if (anyVisible)
                        pairs.Add((qt, kt, anyHidden));
                }
            }
            return new BlockLayout(queryTiles, keyTiles, pairs);
        }
    }
}
