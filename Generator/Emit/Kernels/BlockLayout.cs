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
        /// the generator slow and the generated file huge (XF0039). 131,072 pairs cover, for one, a 256-key window at
        /// MaxLength 1,048,576 (about 82,000 pairs).
        /// </summary>
        public const int MaxPairs = 1 << 17;

        /// <summary>
        /// A cheap estimate of <see cref="Of"/>'s pair count, before computing it: for each query tile, the key tiles its
        /// first query's <see cref="PatternAttentionSpec.KeyRanges"/> touch. Patterns are alike across the queries of a
        /// tile, so this is close to the count; it costs one range query per tile instead of per query and per key.
        /// </summary>
        public static long EstimatedPairs(PatternAttentionSpec pattern, bool causal, int length, int queryTile, int keyTile)
        {
            long pairs = 0;
            for (int firstQuery = 0; firstQuery < length; firstQuery += queryTile)
                foreach (var (start, end) in pattern.KeyRanges(firstQuery, length, causal))
                    if (end > start)
                        pairs += (end - 1) / keyTile - start / keyTile + 1;
            return pairs;
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
