using System.Collections.Generic;
using System.Linq;
using XformerDsl.Generator.Families;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Kernels
{
    /// <summary>
    /// The schedule of a pattern family (local, sliding window, …): the kernel visits the (query tile, key tile) pairs
    /// of a <see cref="BlockLayout"/> computed at compile time and written into the kernel as constant arrays, and
    /// masks the partially covered pairs element by element with the family's <c>Pattern.Sees</c>, emitted as code.
    /// Full attention is the same mechanism with a dense layout; it keeps <see cref="FullSchedule"/>, whose ranges are
    /// arithmetic and need no arrays.
    /// </summary>
    internal sealed class BlockLayoutSchedule : SoftmaxSchedule
    {
        private readonly PatternAttentionSpec _pattern;
        private readonly bool _causal;
        private readonly string _description;
        private readonly IReadOnlyList<string> _sees;
        private readonly BlockLayout _layout;
        private readonly SoftmaxTiling _tiling;
        private readonly IReadOnlyList<string> _patternMembers;
        private readonly int _maxLength;

        /// <param name="spec">The model.</param>
        /// <param name="pattern">The declaration.</param>
        /// <param name="description">One phrase, e.g. <c>causal sliding-window attention over 256 keys</c>.</param>
        /// <param name="sees">
        /// The body of <c>static bool Sees(int query, int key)</c>, statements using the constants of the declaration:
        /// written by the family's emitter independently of <see cref="PatternAttentionSpec.Sees"/>, which the layout
        /// and the run-time reference use, so tests compare two computations of the pattern.
        /// </param>
        /// <param name="patternMembers">Members of the <c>Pattern</c> struct that <paramref name="sees"/> uses, such as a random layout's tables.</param>
        public BlockLayoutSchedule(ModelSpec spec, PatternAttentionSpec pattern, string description, IReadOnlyList<string> sees, IReadOnlyList<string> patternMembers)
        {
            _patternMembers = patternMembers;
            _maxLength = spec.MaxLength;
            _pattern = pattern;
            _causal = spec.Causal;
            _description = description;
            _sees = sees;
            _tiling = SoftmaxTiling.For(spec, pattern);
            _layout = BlockLayout.Of(pattern, spec.Causal, spec.MaxLength, _tiling.QueryTile, _tiling.KeyTile);
        }

        public override string Description => _description;

        public override string ReferenceCall =>
            $"{Names.PatternAttentionReference}.Forward(query, key, value, PatternSpec, causal: {SpecFormat.Bool(_causal)}, keyPaddingMask)";

        public override void EmitMembers(SourceWriter writer)
        {
            int pairs = _layout.ByQueryTile.Count;
            writer.WriteLine($"// ---- The block layout, computed by the generator for MaxLength: {Int(_layout.QueryTiles)} query tiles × {Int(_layout.KeyTiles)} key tiles,");
            writer.WriteLine($"// of which {Int(pairs)} pairs are visited ({Int(_layout.PartialPairs)} of them partially covered, masked element by element).");
            writer.WriteLine();
            writer.WriteLine("/// <summary>The longest sequence the layout covers: the model's MaxLength.</summary>");
            writer.WriteLine($"public const int MaxLength = {Int(_maxLength)};");
            writer.WriteLine();
            writer.WriteLine("static int global::XformerDsl.Autograd.IFusedAttentionKernel.MaxLength => MaxLength;");
            writer.WriteLine();
            writer.WriteLine("/// <summary>The declaration, for the reference path.</summary>");
            writer.WriteLine($"private static readonly {AttentionFamilies.Of(_pattern).SpecTypeName} PatternSpec = {ModelCardEmitter.AttentionLiteral(_pattern)};");
            writer.WriteLine();
            EmitCompressedRows(writer, "query tile", "key tile", "KeyTile", _layout.QueryTiles, _layout.ByQueryTile, p => p.Query, p => p.Key,
                "The forward pass's layout: query tile t visits key tiles KeyTilesOfQueryTile[KeyTileOffsets[t] .. KeyTileOffsets[t + 1]), in ascending order.");
            EmitCompressedRows(writer, "key tile", "query tile", "QueryTile", _layout.KeyTiles, _layout.ByKeyTile, p => p.Key, p => p.Query,
                "The backward pass's layout, the same pairs transposed: key tile t is visited by query tiles QueryTilesOfKeyTile[QueryTileOffsets[t] .. QueryTileOffsets[t + 1]).");
            writer.WriteLine("/// <summary>The pattern inside a partially covered pair: true when the query at position <c>query</c> sees the key at <c>key</c>.</summary>");
            writer.WriteLine("private readonly struct Pattern : global::XformerDsl.Kernels.IAttentionPattern");
            writer.OpenBlock();
            foreach (var line in _patternMembers)
                writer.WriteLine(line);
            writer.WriteLine("public static bool Sees(int query, int key)");
            writer.OpenBlock();
            foreach (var line in _sees)
                writer.WriteLine(line);
            writer.CloseBlock();
            writer.CloseBlock();
            writer.WriteLine();
        }

        // Offsets, entries and partial flags of one direction of the layout, one line per row tile.
        private static void EmitCompressedRows(SourceWriter writer, string row, string column, string suffix, int rows,
            IReadOnlyList<(int Query, int Key, bool Partial)> pairs, System.Func<(int Query, int Key, bool Partial), int> rowOf,
            System.Func<(int Query, int Key, bool Partial), int> columnOf, string summary)
        {
            string entries = $"{suffix}sOf{(suffix == "KeyTile" ? "QueryTile" : "KeyTile")}";
            var byRow = pairs.GroupBy(rowOf).ToDictionary(g => g.Key, g => g.ToList());
            var offsets = new List<int> { 0 };
            for (int r = 0; r < rows; r++)
                offsets.Add(offsets[r] + (byRow.TryGetValue(r, out var list) ? list.Count : 0));

            writer.WriteLine($"/// <summary>{summary}</summary>");
            writer.WriteLine($"private static global::System.ReadOnlySpan<int> {suffix}Offsets => new int[]");
            writer.OpenBlock();
            foreach (var chunk in offsets.Select((offset, i) => (offset, i)).GroupBy(x => x.i / 16))
                writer.WriteLine(string.Join(", ", chunk.Select(x => Int(x.offset))) + ",");
            writer.CloseBlock(";");
            writer.WriteLine();
            writer.WriteLine($"/// <summary>The {column}s of each {row} (see {suffix}Offsets); a trailing <c>*</c> in the comment marks a partially covered pair.</summary>");
            writer.WriteLine($"private static global::System.ReadOnlySpan<int> {entries} => new int[]");
            writer.OpenBlock();
            for (int r = 0; r < rows; r++)
                if (byRow.TryGetValue(r, out var list))
                    writer.WriteLine($"{string.Join(", ", list.Select(p => Int(columnOf(p))))}, // {row} {Int(r)}: {string.Join(" ", list.Select(p => Int(columnOf(p)) + (p.Partial ? "*" : "")))}");
            writer.CloseBlock(";");
            writer.WriteLine();
            writer.WriteLine($"/// <summary>1 where the pair of {entries} at the same index is partially covered and needs <see cref=\"Pattern\"/>; 0 where every query sees every key.</summary>");
            writer.WriteLine($"private static global::System.ReadOnlySpan<byte> {entries}Masked => new byte[]");
            writer.OpenBlock();
            for (int r = 0; r < rows; r++)
                if (byRow.TryGetValue(r, out var list))
                    writer.WriteLine($"{string.Join(", ", list.Select(p => p.Partial ? "1" : "0"))}, // {row} {Int(r)}");
            writer.CloseBlock(";");
            writer.WriteLine();
        }

        public override void EmitKeyTileRange(SourceWriter writer)
        {
            writer.WriteLine("// The layout's key tiles of this query tile.");
            writer.WriteLine("int queryTile = queryStart / QueryTile;");
        }

        public override void EmitKeyTileLoop(SourceWriter writer)
        {
            writer.WriteLine("for (int entry = KeyTileOffsets[queryTile]; entry < KeyTileOffsets[queryTile + 1]; entry++)");
            writer.OpenBlock();
            writer.WriteLine("int keyTile = KeyTilesOfQueryTile[entry];");
            writer.WriteLine("// A sequence shorter than MaxLength ends before this tile (entries ascend, so before every later one too).");
            writer.WriteLine("if (keyTile >= keyTiles)");
            writer.Indented(() => writer.WriteLine("break;"));
        }

        public override void EmitQueryTileRange(SourceWriter writer)
        {
            writer.WriteLine("// The layout's query tiles of this key tile.");
        }

        public override void EmitQueryTileLoop(SourceWriter writer)
        {
            writer.WriteLine("for (int entry = QueryTileOffsets[keyTile]; entry < QueryTileOffsets[keyTile + 1]; entry++)");
            writer.OpenBlock();
            writer.WriteLine("int queryTile = QueryTilesOfKeyTile[entry];");
            writer.WriteLine("if (queryTile >= queryTiles)");
            writer.Indented(() => writer.WriteLine("break;"));
        }

        public override void EmitPatternMask(SourceWriter writer, bool backward)
        {
            writer.WriteLine("// A partially covered pair hides the keys outside each query's pattern.");
            writer.WriteLine($"if ({(backward ? "QueryTilesOfKeyTileMasked" : "KeyTilesOfQueryTileMasked")}[entry] != 0)");
            writer.Indented(() => writer.WriteLine("tile.MaskPattern<Pattern>(rows, queryStart, keyStart);"));
        }

        private static string Int(long value) => SpecFormat.Int(value);
    }
}
