using System;
using XformerDsl.Generator.Model;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Kernels
{
    /// <summary>Full attention: every key tile, or, when causal, the key tiles up to the diagonal.</summary>
    internal sealed class FullSchedule : SoftmaxSchedule
    {
        private readonly bool _causal;

        public FullSchedule(bool causal) => _causal = causal;

        public override string Description => _causal ? "causal full attention" : "bidirectional full attention";

        public override string ReferenceCall =>
            $"{Names.FullAttentionReference}.Forward(query, key, value, causal: {SpecFormat.Bool(_causal)}, keyPaddingMask)";

        public override string ScoreBiasReferenceCall =>
            $"{Names.FullAttentionReference}.WithScoreBias(query, key, value, scoreBias, causal: {SpecFormat.Bool(_causal)}, keyPaddingMask)";

        public override void EmitKeyTileRange(SourceWriter writer)
        {
            if (_causal)
            {
                writer.WriteLine("// Causal: the key tiles from the first to the one holding this tile's last query.");
                writer.WriteLine("int firstKeyTile = 0;");
                writer.WriteLine("int lastKeyTile = global::System.Math.Min(keyTiles - 1, (queryStart + rows - 1) / KeyTile);");
            }
            else
            {
                writer.WriteLine("// Bidirectional: every key tile.");
                writer.WriteLine("int firstKeyTile = 0;");
                writer.WriteLine("int lastKeyTile = keyTiles - 1;");
            }
        }

        public override void EmitQueryTileRange(SourceWriter writer)
        {
            if (_causal)
            {
                writer.WriteLine("// Causal: the query tiles from the one holding this tile's first key to the last.");
                writer.WriteLine("int firstQueryTile = keyStart / QueryTile;");
            }
            else
            {
                writer.WriteLine("// Bidirectional: every query tile.");
                writer.WriteLine("int firstQueryTile = 0;");
            }
            writer.WriteLine("int lastQueryTile = queryTiles - 1;");
        }

        public override void EmitClearSkippedBiasGradient(SourceWriter writer, string clear)
        {
            // Bidirectional visits every query tile, and causal every one from the diagonal to the last.
            if (!_causal)
                return;
            EmitClearRowsBeforeRange(writer, clear, "zeros above the diagonal, which this key tile skips.");
        }

        public override void EmitPatternMask(SourceWriter writer, bool backward)
        {
            if (!_causal)
                return;
            writer.WriteLine("// Only a tile whose keys reach past its first query crosses the diagonal and hides later keys.");
            writer.WriteLine("if (keyStart + KeyTile - 1 > queryStart)");
            writer.Indented(() => writer.WriteLine("tile.MaskFuture(rows, queryStart, keyStart);"));
        }
    }
}
