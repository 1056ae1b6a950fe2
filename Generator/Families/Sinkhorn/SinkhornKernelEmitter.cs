using XformerDsl.Generator.Emit;
using XformerDsl.Generator.Emit.Kernels;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary>
    /// The fused block kernel of a <c>[SinkhornAttention]</c> class without SortCut: each query block attends, in one
    /// online softmax, to its sorted block (skipped whole where the permutation took nothing) and to its own block
    /// (padded keys hidden, later keys too when causal), built from the shared softmax tile steps
    /// (<c>SoftmaxTileWorker</c>). What is generated is the schedule, with the block and head sizes and causality as
    /// constants: one task per (batch·head, block), forward and backward, since each sorted block and each own block
    /// serves exactly one query block.
    /// </summary>
    internal static class SinkhornKernelEmitter
    {
        public const string ClassName = "Kernel";

        private const string Namespace = "global::XformerDsl.Attention.Sinkhorn";

        public static void Emit(SourceWriter writer, ModelSpec spec, SinkhornAttentionSpec sinkhorn, string owner)
        {
            int headDim = spec.HeadDimOf(sinkhorn);
            int padded = (headDim + 15) / 16 * 16;
            int keyTile = (sinkhorn.Block + 15) / 16 * 16;
            string worker = KernelCode.TileWorker;
            string kernels = KernelCode.Kernels;
            string block = SpecFormat.Int(sinkhorn.Block);

            writer.WriteLine("/// <summary>");
            writer.WriteLine($"/// The fused block attention of this layer's Sinkhorn attention: each block of {block} queries attends to its sorted block and");
            writer.WriteLine($"/// its own block{(spec.Causal ? " up to itself" : "")} in one softmax, forward and backward, on the shared softmax tile steps.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine($"public sealed class {ClassName} : {Namespace}.ISinkhornBlockKernel");
            writer.OpenBlock();
            KernelCode.EmitHeadDimConstants(writer, headDim, padded);
            writer.WriteLine();
            writer.WriteLine("/// <summary>Positions per block: the query tile, and the keys of each of the two key tiles a block visits.</summary>");
            writer.WriteLine($"public const int Block = {block};");
            writer.WriteLine();
            writer.WriteLine($"/// <summary>The score tile's width: Block rounded up to a multiple of 16{(keyTile == sinkhorn.Block ? "" : "; the columns past the block are hidden")}.</summary>");
            writer.WriteLine($"public const int KeyTile = {SpecFormat.Int(keyTile)};");
            writer.WriteLine();
            writer.WriteLine($"/// <summary>{(spec.Causal ? "The own block hides its later keys." : "Every key of the own block is visible (bidirectional).")}</summary>");
            writer.WriteLine($"public const bool Causal = {SpecFormat.Bool(spec.Causal)};");
            writer.WriteLine();
            writer.WriteLine($"static int {Namespace}.ISinkhornBlockKernel.HeadDim => HeadDim;");
            writer.WriteLine($"static int {Namespace}.ISinkhornBlockKernel.Block => Block;");
            writer.WriteLine($"static bool {Namespace}.ISinkhornBlockKernel.Causal => Causal;");
            writer.WriteLine();
            writer.WriteLine("/// <summary>What this kernel computes, for messages.</summary>");
            writer.WriteLine($"public static string Description => \"{owner}: {(spec.Causal ? "causal " : "")}Sinkhorn block attention, blocks of {block}, head size {SpecFormat.Int(headDim)}\";");
            writer.WriteLine();

            // Forward.
            writer.WriteLine("/// <summary>");
            writer.WriteLine("/// Forward: one task per (batch·head, block). It visits the sorted block (unless the permutation took nothing for it)");
            writer.WriteLine("/// and then its own block with an online softmax, and writes its rows and their log-sum-exp.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine(KernelCode.AggressiveOptimization);
            writer.WriteLine($"public static void Forward<T, TVec, TOps>(in {kernels}.AttentionForwardArguments<T> local, in {kernels}.AttentionForwardArguments<T> sorted, in {Namespace}.SinkhornBlockArguments blocks)");
            KernelCode.EmitSimdConstraints(writer);
            writer.OpenBlock();
            writer.WriteLine("var (a, s, b) = (local, sorted, blocks);");
            writer.WriteLine("int heads = a.Heads, perSequence = b.Blocks;");
            writer.WriteLine("// The values as whole vectors: with no padding to do, the tensors themselves.");
            writer.WriteLine($"using var values = {worker}.PadRows(a.Value, a.BatchHeads, heads, a.Keys, HeadDim, PaddedHeadDim, a.Threads);");
            writer.WriteLine($"using var sortedValues = {worker}.PadRows(s.Value, a.BatchHeads, heads, s.Keys, HeadDim, PaddedHeadDim, a.Threads);");
            writer.WriteLine($"{kernels}.KernelParallel.For(a.BatchHeads * perSequence, a.Threads, NewWorker<T, TVec, TOps>, (task, tile) =>");
            writer.OpenBlock();
            writer.WriteLine("int bh = task / perSequence, start = task % perSequence * Block;");
            writer.WriteLine("tile.BeginQueryTile(Block);");
            writer.WriteLine($"// The sorted block, visible whole where the permutation took some block{(spec.Causal ? " (never for the first block)" : "")}; the mask hides only columns past the block.");
            writer.WriteLine("if (b.SeesSorted(bh, heads, start / Block))");
            writer.OpenBlock();
            writer.WriteLine("tile.BeginKeyTile(s, bh, start, Block);");
            EmitMaskedScores(writer, "s", causal: false);
            writer.WriteLine("tile.Accumulate(Block, sortedValues.Rows, heads, bh, start, Block);");
            writer.CloseBlock();
            writer.WriteLine($"// The own block, read in place: padded keys hidden{(spec.Causal ? ", and keys after the query" : "")}.");
            writer.WriteLine("tile.BeginKeyTile(a, bh, start, Block);");
            EmitMaskedScores(writer, "a", spec.Causal);
            writer.WriteLine("tile.Accumulate(Block, values.Rows, heads, bh, start, Block);");
            writer.WriteLine("tile.EndQueryTile(Block, a, bh, start);");
            writer.CloseBlock(");");
            writer.CloseBlock();
            writer.WriteLine();

            // Backward.
            writer.WriteLine("/// <summary>");
            writer.WriteLine("/// Backward: one task per (batch·head, block), which owns its query rows, its sorted block and its own block: each key");
            writer.WriteLine("/// tile serves only its query block. A sorted block the permutation left empty gets zero gradients.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine(KernelCode.AggressiveOptimization);
            writer.WriteLine($"public static void Backward<T, TVec, TOps>(in {kernels}.AttentionBackwardArguments<T> local, in {kernels}.AttentionBackwardArguments<T> sorted, in {Namespace}.SinkhornBlockArguments blocks, {kernels}.QueryScalars<T> delta)");
            KernelCode.EmitSimdConstraints(writer);
            writer.OpenBlock();
            writer.WriteLine("var (g, gs, b) = (local, sorted, blocks);");
            writer.WriteLine("var (a, s) = (g.Forward, gs.Forward);");
            writer.WriteLine("int heads = a.Heads, perSequence = b.Blocks;");
            KernelCode.EmitPaddedBackwardRows(writer, headDim, padded, queryKey: true, groups: "1");
            writer.WriteLine("// The sorted blocks' keys likewise.");
            writer.WriteLine($"using var sortedKeys = {worker}.PadRows(s.Key, a.BatchHeads, heads, s.Keys, HeadDim, PaddedHeadDim, a.Threads);");
            writer.WriteLine($"{kernels}.KernelParallel.For(a.BatchHeads * perSequence, a.Threads, NewWorker<T, TVec, TOps>, (task, tile) =>");
            writer.OpenBlock();
            writer.WriteLine("int bh = task / perSequence, start = task % perSequence * Block;");
            writer.WriteLine("// The sorted block: packed and its gradients zeroed either way, so an empty one writes zero gradients.");
            writer.WriteLine("tile.BeginKeyTile(s, bh, start, Block);");
            writer.WriteLine("if (b.SeesSorted(bh, heads, start / Block))");
            writer.OpenBlock();
            EmitGradients(writer, "s", "sortedKeys", causal: false);
            writer.CloseBlock();
            writer.WriteLine("tile.EndKeyTile(Block, gs, bh, start);");
            writer.WriteLine("// The own block, masked as in the forward pass.");
            writer.WriteLine("tile.BeginKeyTile(a, bh, start, Block);");
            EmitGradients(writer, "a", "keys", spec.Causal);
            writer.WriteLine("tile.EndKeyTile(Block, g, bh, start);");
            writer.CloseBlock(");");
            writer.WriteLine($"{worker}.ReduceQueryGradients(queryGradients, g, HeadDim);");
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine("// Each thread's scratch and tile steps.");
            writer.WriteLine($"private static {worker} NewWorker<T, TVec, TOps>()");
            writer.Indented(() =>
            {
                writer.WriteLine(KernelCode.SimdTypeParameterConstraints);
                writer.WriteLine("=> new(Block, KeyTile, HeadDim, PaddedHeadDim);");
            });
            writer.CloseBlock();
        }

        // The score tile of the packed key tile of `arguments` against the block's queries, with its columns past the
        // block and its padded keys hidden, and when causal the keys after each query.
        private static void EmitMaskedScores(SourceWriter writer, string arguments, bool causal)
        {
            writer.WriteLine("tile.ScoreCurrentKeyTile(a.Query, heads, bh, start, Block);");
            writer.WriteLine($"tile.MaskKeys(Block, {arguments}, bh, start, Block);");
            if (causal)
                writer.WriteLine("tile.MaskFuture(Block, start, start);");
        }

        // The backward step of one key tile: the masked scores again, the forward pass's probabilities, and the gradients.
        private static void EmitGradients(SourceWriter writer, string arguments, string keys, bool causal)
        {
            EmitMaskedScores(writer, arguments, causal);
            writer.WriteLine("tile.Probabilities(Block, a, bh, start);");
            writer.WriteLine($"tile.Gradients(Block, Block, queries.Rows, outputGradients.Rows, {keys}.Rows, delta, queryGradients, 0, heads, bh, start, start);");
        }
    }
}
