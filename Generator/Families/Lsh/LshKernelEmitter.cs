using XformerDsl.Generator.Emit;
using XformerDsl.Generator.Emit.Kernels;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary>
    /// The fused bucketed chunk kernel of an <c>[LshAttention]</c> class: on the sorted rows of every hashing round,
    /// each chunk of BucketSize queries attends to the previous chunk of its round and to itself, built from the
    /// shared softmax tile steps (<c>SoftmaxTileWorker</c>) plus the LSH mask step (<c>LshChunkMask</c>). What is
    /// generated is the schedule: which chunks a query chunk visits in the forward pass, which query chunks a key
    /// chunk serves in the backward pass, with the chunk and head sizes as constants.
    /// </summary>
    internal static class LshKernelEmitter
    {
        public const string ClassName = "Kernel";

        public static void Emit(SourceWriter writer, ModelSpec spec, LshAttentionSpec lsh, string owner)
        {
            int headDim = spec.HeadDimOf(lsh);
            int padded = (headDim + 15) / 16 * 16;
            int keyTile = (lsh.BucketSize + 15) / 16 * 16;
            string worker = KernelCode.TileWorker;
            string kernels = KernelCode.Kernels;
            string mask = "global::XformerDsl.Attention.Lsh.LshChunkMask";

            writer.WriteLine("/// <summary>");
            writer.WriteLine($"/// The fused bucketed chunk attention of this layer's LSH attention: chunks of {SpecFormat.Int(lsh.BucketSize)} sorted rows, each attending to the");
            writer.WriteLine("/// previous chunk of its hashing round and to itself, forward and backward, on the shared softmax tile steps.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine($"public sealed class {ClassName} : global::XformerDsl.Attention.Lsh.ILshChunkKernel");
            writer.OpenBlock();
            KernelCode.EmitHeadDimConstants(writer, headDim, padded);
            writer.WriteLine();
            writer.WriteLine("/// <summary>Rows per chunk: the query tile, and the keys of each of the two key tiles a chunk visits.</summary>");
            writer.WriteLine($"public const int BucketSize = {SpecFormat.Int(lsh.BucketSize)};");
            writer.WriteLine();
            writer.WriteLine($"/// <summary>The score tile's width: BucketSize rounded up to a multiple of 16{(keyTile == lsh.BucketSize ? "" : "; the columns past the chunk are hidden")}.</summary>");
            writer.WriteLine($"public const int KeyTile = {SpecFormat.Int(keyTile)};");
            writer.WriteLine();
            writer.WriteLine("static int global::XformerDsl.Attention.Lsh.ILshChunkKernel.HeadDim => HeadDim;");
            writer.WriteLine("static int global::XformerDsl.Attention.Lsh.ILshChunkKernel.BucketSize => BucketSize;");
            writer.WriteLine();
            writer.WriteLine($"/// <summary>What this kernel computes, for messages.</summary>");
            writer.WriteLine($"public static string Description => \"{owner}: {(spec.Causal ? "causal " : "")}LSH chunk attention, chunks of {SpecFormat.Int(lsh.BucketSize)}, head size {SpecFormat.Int(headDim)}\";");
            writer.WriteLine();

            // Forward.
            writer.WriteLine("/// <summary>");
            writer.WriteLine("/// Forward: one task per (batch·head, chunk of any round). It visits the previous chunk of its round (the round's last");
            writer.WriteLine("/// for its first) and itself with an online softmax, and writes its rows and their log-sum-exp.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine(KernelCode.AggressiveOptimization);
            writer.WriteLine($"public static void Forward<T, TVec, TOps>(in {kernels}.AttentionForwardArguments<T> args, in global::XformerDsl.Attention.Lsh.LshChunkArguments lsh)");
            KernelCode.EmitSimdConstraints(writer);
            writer.OpenBlock();
            writer.WriteLine("var a = args;");
            writer.WriteLine("var l = lsh;");
            writer.WriteLine("int heads = a.Heads, chunks = a.Queries / BucketSize, perRound = l.ChunksPerRound;");
            writer.WriteLine("// The values as whole vectors: with no padding to do, the tensor itself.");
            writer.WriteLine($"using var values = {worker}.PadRows(a.Value, a.BatchHeads, heads, a.Keys, HeadDim, PaddedHeadDim, a.Threads);");
            writer.WriteLine($"{kernels}.KernelParallel.For(a.BatchHeads * chunks, a.Threads, NewWorker<T, TVec, TOps>, (task, tile) =>");
            writer.OpenBlock();
            writer.WriteLine("int bh = task / chunks, chunk = task % chunks;");
            writer.WriteLine("int round = chunk / perRound, inRound = chunk % perRound;");
            writer.WriteLine("int queryStart = chunk * BucketSize;");
            writer.WriteLine("tile.BeginQueryTile(BucketSize);");
            writer.WriteLine("// The window: the previous chunk of the same round, then the chunk itself.");
            writer.WriteLine("for (int side = 0; side < 2; side++)");
            writer.OpenBlock();
            writer.WriteLine("int keyStart = (side == 0 ? round * perRound + (inRound + perRound - 1) % perRound : chunk) * BucketSize;");
            writer.WriteLine("tile.BeginKeyTile(a, bh, keyStart, BucketSize);");
            writer.WriteLine("tile.ScoreCurrentKeyTile(a.Query, heads, bh, queryStart, BucketSize);");
            writer.WriteLine("// Hidden keys, the self score and the duplicate-count correction, as the reference computes them.");
            writer.WriteLine($"{mask}.Apply(tile, l, bh, queryStart, BucketSize, keyStart, BucketSize);");
            writer.WriteLine("tile.Accumulate(BucketSize, values.Rows, heads, bh, keyStart, BucketSize);");
            writer.CloseBlock();
            writer.WriteLine("tile.EndQueryTile(BucketSize, a, bh, queryStart);");
            writer.CloseBlock(");");
            writer.CloseBlock();
            writer.WriteLine();

            // Backward.
            writer.WriteLine("/// <summary>");
            writer.WriteLine("/// Backward: one task per (batch·head, round), so the chunks a task touches are its own. Each key chunk packs its keys");
            writer.WriteLine("/// and values once, then serves the two query chunks whose windows hold it: itself and the next chunk of the round.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine(KernelCode.AggressiveOptimization);
            writer.WriteLine($"public static void Backward<T, TVec, TOps>(in {kernels}.AttentionBackwardArguments<T> args, in global::XformerDsl.Attention.Lsh.LshChunkArguments lsh, {kernels}.QueryScalars<T> delta)");
            KernelCode.EmitSimdConstraints(writer);
            writer.OpenBlock();
            writer.WriteLine("var g = args;");
            writer.WriteLine("var a = g.Forward;");
            writer.WriteLine("var l = lsh;");
            writer.WriteLine("int heads = a.Heads, perRound = l.ChunksPerRound, rounds = a.Queries / BucketSize / perRound;");
            KernelCode.EmitPaddedBackwardRows(writer, headDim, padded, queryKey: true, groups: "1");
            writer.WriteLine($"{kernels}.KernelParallel.For(a.BatchHeads * rounds, a.Threads, NewWorker<T, TVec, TOps>, (task, tile) =>");
            writer.OpenBlock();
            writer.WriteLine("int bh = task / rounds, round = task % rounds;");
            writer.WriteLine("for (int inRound = 0; inRound < perRound; inRound++)");
            writer.OpenBlock();
            writer.WriteLine("int keyStart = (round * perRound + inRound) * BucketSize;");
            writer.WriteLine("tile.BeginKeyTile(a, bh, keyStart, BucketSize);");
            writer.WriteLine("// The query chunks whose window holds this chunk: itself, and the next chunk of the round, which looks back at it.");
            writer.WriteLine("for (int side = 0; side < 2; side++)");
            writer.OpenBlock();
            writer.WriteLine("int queryStart = (round * perRound + (side == 0 ? inRound : (inRound + 1) % perRound)) * BucketSize;");
            writer.WriteLine("tile.ScoreCurrentKeyTile(a.Query, heads, bh, queryStart, BucketSize);");
            writer.WriteLine($"{mask}.Apply(tile, l, bh, queryStart, BucketSize, keyStart, BucketSize);");
            writer.WriteLine("tile.Probabilities(BucketSize, a, bh, queryStart);");
            writer.WriteLine("tile.ValueAndScoreGradients(BucketSize, BucketSize, outputGradients.Rows, delta, heads, bh, queryStart);");
            writer.WriteLine("// Hidden and self scores are constants: no gradient flows through them to the queries and keys.");
            writer.WriteLine($"{mask}.ZeroConstantScoreGradients(tile, l, bh, queryStart, BucketSize, keyStart, BucketSize);");
            writer.WriteLine("tile.PropagateScoreGradients(BucketSize, BucketSize, queries.Rows, keys.Rows, queryGradients, 0, heads, bh, queryStart, keyStart);");
            writer.CloseBlock();
            writer.WriteLine("tile.EndKeyTile(BucketSize, g, bh, keyStart);");
            writer.CloseBlock();
            writer.CloseBlock(");");
            writer.WriteLine($"{worker}.ReduceQueryGradients(queryGradients, g, HeadDim);");
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine("// Each thread's scratch and tile steps.");
            writer.WriteLine($"private static {worker} NewWorker<T, TVec, TOps>()");
            writer.Indented(() =>
            {
                writer.WriteLine(KernelCode.SimdTypeParameterConstraints);
                writer.WriteLine("=> new(BucketSize, KeyTile, HeadDim, PaddedHeadDim);");
            });
            writer.CloseBlock();
        }
    }
}
