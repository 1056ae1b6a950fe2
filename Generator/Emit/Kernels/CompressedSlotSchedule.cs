using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Kernels
{
    /// <summary>
    /// Causal attention over compressed keys (<c>[CompressedAttention]</c> in a causal model): key 0 is the null key, key
    /// j ≥ 1 the slot of positions (j − 1)·Ratio … j·Ratio − 1, and query i sees key j iff j·Ratio − 1 ≤ i, so query i sees
    /// keys 0 … ⌊(i + 1) / Ratio⌋. The ranges are arithmetic in the constant <c>Ratio</c>; the tiles that straddle a query's
    /// last visible key are masked element by element with the rule, as a generated <c>Pattern</c>.
    /// </summary>
    internal sealed class CompressedSlotSchedule : SoftmaxSchedule
    {
        /// <summary>The runtime's reference for this schedule and the compression helpers of the family's attend step.</summary>
        public const string Reference = "global::XformerDsl.Attention.Compressed.CompressedAttentionReference";

        private readonly int _ratio;

        public CompressedSlotSchedule(int ratio) => _ratio = ratio;

        public override string Description => $"causal attention over the null key and slots of {SpecFormat.Int(_ratio)} positions";

        public override string ReferenceCall =>
            $"{Reference}.Forward(query, key, value, Ratio, keyPaddingMask)";

        public override void EmitMembers(SourceWriter writer)
        {
            writer.WriteLine("/// <summary>Positions per compressed slot: key j ≥ 1 holds positions (j − 1)·Ratio … j·Ratio − 1.</summary>");
            writer.WriteLine($"public const int Ratio = {SpecFormat.Int(_ratio)};");
            writer.WriteLine();
            writer.WriteLine("/// <summary>The causal slot rule inside a straddling tile: query i sees key j once the slot's last position, j·Ratio − 1, is at or before i.</summary>");
            writer.WriteLine("private readonly struct Pattern : global::XformerDsl.Kernels.IAttentionPattern");
            writer.OpenBlock();
            writer.WriteLine("public static bool Sees(int query, int key) => (long)key * Ratio - 1 <= query;");
            writer.CloseBlock();
            writer.WriteLine();
        }

        public override void EmitKeyTileRange(SourceWriter writer)
        {
            writer.WriteLine("// The key tiles from the first to the one holding the last key this tile's last query sees, ⌊(i + 1) / Ratio⌋.");
            writer.WriteLine("int firstKeyTile = 0;");
            writer.WriteLine("int lastKeyTile = global::System.Math.Min(keyTiles - 1, (queryStart + rows) / Ratio / KeyTile);");
        }

        public override void EmitQueryTileRange(SourceWriter writer)
        {
            writer.WriteLine("// The query tiles from the one holding the first query that sees this tile's first key, keyStart·Ratio − 1, to the last.");
            writer.WriteLine("int firstQueryTile = (int)(global::System.Math.Max(0L, (long)keyStart * Ratio - 1) / QueryTile);");
            writer.WriteLine("int lastQueryTile = queryTiles - 1;");
        }

        public override void EmitPatternMask(SourceWriter writer, bool backward)
        {
            writer.WriteLine("// Only a tile holding a key past the last one its first query sees, ⌊(queryStart + 1) / Ratio⌋, needs the rule.");
            writer.WriteLine("if (keyStart + KeyTile - 1 > (queryStart + 1) / Ratio)");
            writer.Indented(() => writer.WriteLine("tile.MaskPattern<Pattern>(rows, queryStart, keyStart);"));
        }
    }
}
