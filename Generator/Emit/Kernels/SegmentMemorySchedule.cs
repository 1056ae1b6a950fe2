using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Kernels
{
    /// <summary>
    /// Transformer-XL's pattern: a segment's queries over the keys of its memory and then itself, causal, so query i sits
    /// at key position <c>memory + i</c> (<c>memory = Keys − Queries</c>, known only at run time) and sees keys up to it;
    /// with a window (<c>SameLength</c>) only the last <c>window</c> of those. The tiles the window leaves out are skipped,
    /// the tiles crossing either edge masked.
    /// </summary>
    internal sealed class SegmentMemorySchedule : SoftmaxSchedule
    {
        private readonly int _window;

        public SegmentMemorySchedule(int window) => _window = window;

        public override string Description => _window > 0
            ? $"causal attention over a memory and the segment, each query seeing {SpecFormat.Int(_window)} keys"
            : "causal attention over a memory and the segment";

        public override int Window => _window;

        // The kernel serves only its relative form: without the position term it is not Transformer-XL's attention.
        public override string ReferenceCall =>
            "throw new global::System.NotSupportedException(Description + \": the kernel needs its relative positions.\")";

        public override string RelativeReferenceCall =>
            $"global::XformerDsl.Attention.Recurrence.RelativeAttentionReference.Forward(query, key, value, contentBias, positionBias, positions, causal: true, window: {SpecFormat.Int(_window)}, keyPaddingMask)";

        public override void EmitKeyTileRange(SourceWriter writer)
        {
            writer.WriteLine("// Query i sits at key position memory + i: the key tiles up to the one holding this tile's last query's position,");
            writer.WriteLine(_window > 0
                ? $"// from the one holding its first query's first visible key (the {SpecFormat.Int(_window)} keys ending at itself)."
                : "// from the first.");
            writer.WriteLine("int memory = a.Keys - a.Queries;");
            writer.WriteLine(_window > 0
                ? $"int firstKeyTile = global::System.Math.Max(0, queryStart + memory - {SpecFormat.Int(_window - 1)}) / KeyTile;"
                : "int firstKeyTile = 0;");
            writer.WriteLine("int lastKeyTile = global::System.Math.Min(keyTiles - 1, (memory + queryStart + rows - 1) / KeyTile);");
        }

        public override void EmitQueryTileRange(SourceWriter writer)
        {
            writer.WriteLine("// The query tiles from the one whose position reaches this tile's first key to the last");
            writer.WriteLine(_window > 0
                ? $"// whose window still reaches its last key (query i sees keys memory + i - {SpecFormat.Int(_window - 1)} to memory + i)."
                : "// (every later query sees the key too).");
            writer.WriteLine("int memory = a.Keys - a.Queries;");
            writer.WriteLine("int firstQueryTile = global::System.Math.Max(0, keyStart - memory) / QueryTile;");
            writer.WriteLine(_window > 0
                ? $"int lastQueryTile = global::System.Math.Min(queryTiles - 1, (keyStart + keyCount - 1 - memory + {SpecFormat.Int(_window - 1)}) / QueryTile);"
                : "int lastQueryTile = queryTiles - 1;");
        }

        public override void EmitPatternMask(SourceWriter writer, bool backward)
        {
            writer.WriteLine("// A tile whose keys reach past its first query's position crosses the diagonal and hides later keys.");
            writer.WriteLine("if (keyStart + KeyTile - 1 > memory + queryStart)");
            writer.Indented(() => writer.WriteLine("tile.MaskFuture(rows, memory + queryStart, keyStart);"));
            if (_window == 0)
                return;
            writer.WriteLine($"// A tile whose first key is before its last query's window hides the keys more than {SpecFormat.Int(_window - 1)} before each query.");
            writer.WriteLine($"if (keyStart <= memory + queryStart + rows - 1 - {SpecFormat.Int(_window)})");
            writer.Indented(() => writer.WriteLine($"tile.MaskBefore(rows, memory + queryStart - {SpecFormat.Int(_window - 1)}, keyStart);"));
        }
    }
}
