using System;
using XformerDsl.Generator.Model;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Kernels
{
    /// <summary>
    /// Emits <c>Kernel</c>, the fused CPU kernel of a softmax attention declaration, forward and backward, nested in its
    /// attention class and implementing <c>IFusedAttentionKernel</c>. The tile maths is the runtime's
    /// <c>SoftmaxTileWorker</c>; what is generated is the schedule (from <see cref="SoftmaxSchedule"/>) with the head
    /// size, tile sizes and pattern written in as constants, so the JIT compiles a kernel for exactly this model.
    /// </summary>
    internal static class SoftmaxKernelEmitter
    {
        public const string ClassName = "Kernel";

        private const string Worker = KernelCode.TileWorker;
        private const string Kernels = KernelCode.Kernels;
        private const string RelativeKernel = "global::XformerDsl.Attention.Recurrence.IFusedRelativeAttentionKernel";
        private const string RelativeAttention = "global::XformerDsl.Attention.Recurrence.FusedRelativeAttention";

        /// <param name="writer">Where the nested class goes.</param>
        /// <param name="spec">The model.</param>
        /// <param name="attention">The declaration the kernel computes.</param>
        /// <param name="schedule">Which tiles the declaration visits.</param>
        /// <param name="owner">Who the kernel belongs to in messages: the model, or the model and its layer class.</param>
        /// <param name="className">The nested class's name; <see cref="ClassName"/> unless the family emits several kernels.</param>
        /// <param name="scores">
        /// What the scores are made of: <c>scale·Q·Kᵀ</c> (every family's kernel, emitted as before the score bias existed),
        /// that plus an additive score bias, or the bias alone.
        /// </param>
        public static void Emit(SourceWriter writer, ModelSpec spec, AttentionSpec attention, SoftmaxSchedule schedule, string owner,
            string className = ClassName, KernelScores scores = KernelScores.QueryKey)
        {
            var tiling = SoftmaxTiling.For(spec, attention);
            string description = $"{owner}: {schedule.Description}{ScoresPhrase(scores)}, head size {Int(tiling.HeadDim)}";

            writer.WriteLine("/// <summary>");
            writer.WriteLine($"/// The fused CPU kernel of this attention: {schedule.Description}{ScoresPhrase(scores)} for head size {Int(tiling.HeadDim)}, forward and");
            writer.WriteLine($"/// backward, tiled as in FlashAttention-2 with {Int(tiling.QueryTile)} queries × {Int(tiling.KeyTile)} keys per tile. Scores exist one tile per thread at");
            writer.WriteLine("/// a time, so memory grows with the sequence, not with its square. Generated for this declaration: the head size, the");
            writer.WriteLine("/// tile sizes and the pattern are constants compiled into the loops. Float32 and float64 tensors on the CPU run here;");
            // A biased kernel has two Reference overloads, which a cref could not tell apart.
            writer.WriteLine(scores == KernelScores.QueryKey
                ? "/// other devices and dtypes take <see cref=\"Reference\"/>."
                : "/// other devices and dtypes take the reference composition, <c>Reference</c>.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine(scores switch
            {
                KernelScores.QueryKey => $"public sealed class {className} : global::XformerDsl.Autograd.IFusedAttentionKernel",
                KernelScores.QueryKeyAndRelativePositions => $"public sealed class {className} : {RelativeKernel}",
                _ => $"public sealed class {className} : global::XformerDsl.Autograd.IFusedBiasedAttentionKernel",
            });
            writer.OpenBlock();
            writer.WriteLine("/// <summary>The head size, Dim / Heads.</summary>");
            writer.WriteLine($"public const int HeadDim = {Int(tiling.HeadDim)};");
            writer.WriteLine();
            writer.WriteLine(tiling.PaddedHeadDim == tiling.HeadDim
                ? $"/// <summary>Head-sized rows as whole vectors: a multiple of 16 ({Int(tiling.HeadDim)} needs no padding).</summary>"
                : $"/// <summary>Head-sized rows as whole vectors: {Int(tiling.HeadDim)} padded with zeros to a multiple of 16.</summary>");
            writer.WriteLine($"public const int PaddedHeadDim = {Int(tiling.PaddedHeadDim)};");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Queries per tile.</summary>");
            writer.WriteLine($"public const int QueryTile = {Int(tiling.QueryTile)};");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Keys per tile, a multiple of 16.</summary>");
            writer.WriteLine($"public const int KeyTile = {Int(tiling.KeyTile)};");
            writer.WriteLine();
            schedule.EmitMembers(writer);
            writer.WriteLine("static int global::XformerDsl.Autograd.IFusedAttentionKernel.HeadDim => HeadDim;");
            writer.WriteLine();
            writer.WriteLine("/// <summary>What this kernel computes, for messages.</summary>");
            writer.WriteLine($"public static string Description => {Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(description, quote: true)};");
            writer.WriteLine();
            EmitReferences(writer, schedule, scores);
            writer.WriteLine();
            EmitForward(writer, tiling, schedule, scores);
            writer.WriteLine();
            EmitBackward(writer, tiling, schedule, scores);
            writer.WriteLine();
            writer.WriteLine("// Each thread's scratch and tile steps.");
            writer.WriteLine($"private static {Worker} NewWorker<T, TVec, TOps>()");
            KernelCode.EmitSimdConstraints(writer);
            writer.Indented(() => writer.WriteLine(scores == KernelScores.QueryKeyAndRelativePositions
                ? $"=> new(QueryTile, KeyTile, HeadDim, PaddedHeadDim, {Worker}.RelativeBandWidth(QueryTile, KeyTile));"
                : "=> new(QueryTile, KeyTile, HeadDim, PaddedHeadDim);"));
            writer.CloseBlock();
        }

        private static string ScoresPhrase(KernelScores scores) => scores switch
        {
            KernelScores.QueryKeyAndBias => " with an additive score bias",
            KernelScores.BiasOnly => " over a score bias alone",
            KernelScores.QueryKeyAndRelativePositions => " with relative positions",
            _ => "",
        };

        private static void EmitReferences(SourceWriter writer, SoftmaxSchedule schedule, KernelScores scores)
        {
            string tensor = Names.Tensor;
            if (scores == KernelScores.QueryKeyAndRelativePositions)
            {
                EmitRelativeReferences(writer, schedule);
                return;
            }
            if (scores == KernelScores.BiasOnly)
            {
                writer.WriteLine("// A bias-only kernel scores no queries and keys, so it has no reference without a bias; its entry point is");
                writer.WriteLine($"// {Names.FusedBiasedAttention}<{ClassName}>.ApplyBias.");
                writer.WriteLine($"static {tensor} global::XformerDsl.Autograd.IFusedAttentionKernel.Reference({tensor} query, {tensor} key, {tensor} value, {tensor}? keyPaddingMask) =>");
                writer.Indented(() => writer.WriteLine("throw new global::System.NotSupportedException(Description + \": a bias-only kernel needs its score bias; call FusedBiasedAttention.ApplyBias.\");"));
            }
            else
            {
                writer.WriteLine(scores == KernelScores.QueryKey
                    ? "/// <summary>The same attention composed from TorchSharp ops: the path for tensors this kernel does not serve.</summary>"
                    : "/// <summary>The same attention without a score bias, composed from TorchSharp ops.</summary>");
                writer.WriteLine($"public static {tensor} Reference({tensor} query, {tensor} key, {tensor} value, {tensor}? keyPaddingMask) =>");
                writer.Indented(() => writer.WriteLine(schedule.ReferenceCall + ";"));
            }
            if (scores == KernelScores.QueryKey)
                return;
            string biasCall = schedule.ScoreBiasReferenceCall
                ?? throw new InvalidOperationException(schedule.Description + " offers no score bias.");
            writer.WriteLine();
            writer.WriteLine(scores == KernelScores.BiasOnly
                ? "/// <summary>False: the scores are the bias alone, with no query–key product.</summary>"
                : "/// <summary>True: the scores are the scaled query–key products plus the bias.</summary>");
            writer.WriteLine($"public static bool ScoresQueriesAndKeys => {(scores == KernelScores.BiasOnly ? "false" : "true")};");
            writer.WriteLine();
            writer.WriteLine("/// <summary>The same attention with its score bias composed from TorchSharp ops: the path for tensors this kernel does not serve.</summary>");
            writer.WriteLine($"public static {tensor} Reference({tensor}? query, {tensor}? key, {tensor} value, {tensor}? keyPaddingMask, {tensor} scoreBias) =>");
            writer.Indented(() => writer.WriteLine(biasCall + ";"));
        }

        private static void EmitRelativeReferences(SourceWriter writer, SoftmaxSchedule schedule)
        {
            string tensor = Names.Tensor;
            string relativeCall = schedule.RelativeReferenceCall
                ?? throw new InvalidOperationException(schedule.Description + " offers no relative positions.");
            writer.WriteLine("// Without its relative positions the attention is not this kernel's; its entry point is");
            writer.WriteLine($"// {RelativeAttention}<{ClassName}>.Apply.");
            writer.WriteLine($"static {tensor} global::XformerDsl.Autograd.IFusedAttentionKernel.Reference({tensor} query, {tensor} key, {tensor} value, {tensor}? keyPaddingMask) =>");
            writer.Indented(() => writer.WriteLine("throw new global::System.NotSupportedException(Description + \": the kernel needs its relative positions; call FusedRelativeAttention.Apply.\");"));
            writer.WriteLine();
            writer.WriteLine("/// <summary>0, or the number of keys each query sees, ending at its own position.</summary>");
            writer.WriteLine($"public static int Window => {Int(schedule.Window)};");
            writer.WriteLine();
            writer.WriteLine("/// <summary>The same attention composed from TorchSharp ops: the path for tensors this kernel does not serve.</summary>");
            writer.WriteLine($"public static {tensor} Reference({tensor} query, {tensor} key, {tensor} value, {tensor} contentBias, {tensor} positionBias, {tensor} positions, {tensor}? keyPaddingMask) =>");
            writer.Indented(() => writer.WriteLine(relativeCall + ";"));
        }

        private static void EmitForward(SourceWriter writer, SoftmaxTiling tiling, SoftmaxSchedule schedule, KernelScores scores)
        {
            writer.WriteLine("/// <summary>");
            writer.WriteLine("/// Forward: one task per (batch·head, query tile). Each sweeps its key tiles with an online softmax and writes its");
            writer.WriteLine("/// output rows and their log-sum-exp, which the backward pass rebuilds the probabilities from.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine(KernelCode.AggressiveOptimization);
            writer.WriteLine($"public static void Forward<T, TVec, TOps>(in {Kernels}.AttentionForwardArguments<T> args)");
            KernelCode.EmitSimdConstraints(writer);
            writer.OpenBlock();
            writer.WriteLine("var a = args;");
            writer.WriteLine("int heads = a.Heads;");
            writer.WriteLine("int queryTiles = (a.Queries + QueryTile - 1) / QueryTile;");
            writer.WriteLine("int keyTiles = (a.Keys + KeyTile - 1) / KeyTile;");
            if (scores != KernelScores.BiasOnly)
            {
                writer.WriteLine($"// Every key tile transposed and scaled by 1/√{Int(tiling.HeadDim)} once, so each score tile is one product.");
                writer.WriteLine($"using var keys = {Worker}.PackKeyTiles(a, KeyTile, HeadDim);");
            }
            if (scores == KernelScores.QueryKeyAndRelativePositions)
            {
                writer.WriteLine($"// Every head's distance rows transposed and scaled by 1/√{Int(tiling.HeadDim)} once, so each tile's band of position terms is one product.");
                writer.WriteLine($"using var positions = {Worker}.PackRelativePositions(a, QueryTile, KeyTile, HeadDim);");
            }
            writer.WriteLine(tiling.PaddedHeadDim == tiling.HeadDim
                ? "// The values as whole vectors: with no padding to do, the tensor itself."
                : $"// The values with rows padded from {Int(tiling.HeadDim)} to {Int(tiling.PaddedHeadDim)} columns, so the output product runs on whole vectors.");
            writer.WriteLine($"using var values = {Worker}.PadRows(a.Value, a.BatchHeads, heads, a.Keys, HeadDim, PaddedHeadDim, a.Threads);");
            writer.WriteLine("// Tasks are numbered from the last query tile, which has the most key tiles to visit, so the longest start first.");
            writer.WriteLine($"{Kernels}.KernelParallel.For(a.BatchHeads * queryTiles, a.Threads, NewWorker<T, TVec, TOps>, (task, tile) =>");
            writer.OpenBlock();
            writer.WriteLine("int bh = task % a.BatchHeads;");
            writer.WriteLine("int queryStart = (queryTiles - 1 - task / a.BatchHeads) * QueryTile;");
            writer.WriteLine("int rows = global::System.Math.Min(QueryTile, a.Queries - queryStart);");
            schedule.EmitKeyTileRange(writer);
            writer.WriteLine("tile.BeginQueryTile(rows);");
            schedule.EmitKeyTileLoop(writer);
            writer.WriteLine("int keyStart = keyTile * KeyTile;");
            writer.WriteLine("int keyCount = global::System.Math.Min(KeyTile, a.Keys - keyStart);");
            EmitScores(writer, scores, "tile.Score(a.Query, heads, bh, queryStart, rows, keys, keyTile);");
            EmitRelativeScores(writer, scores);
            schedule.EmitPatternMask(writer, backward: false);
            writer.WriteLine("tile.MaskKeys(rows, a, bh, keyStart, keyCount);");
            writer.WriteLine("tile.Accumulate(rows, values.Rows, heads, bh, keyStart, keyCount);");
            writer.CloseBlock();
            writer.WriteLine("tile.EndQueryTile(rows, a, bh, queryStart);");
            writer.CloseBlock(");");
            writer.CloseBlock();
        }

        // Transformer-XL's position term, added to the score tile before masking.
        private static void EmitRelativeScores(SourceWriter writer, KernelScores scores)
        {
            if (scores != KernelScores.QueryKeyAndRelativePositions)
                return;
            writer.WriteLine("// The position term of each score from the distance rows this tile spans, read by its diagonal.");
            writer.WriteLine("tile.AddRelativePositions(rows, a, positions, bh, queryStart, keyStart);");
        }

        // The score tile of the current pair: the product (and the bias added to it), or the bias alone.
        private static void EmitScores(SourceWriter writer, KernelScores scores, string product)
        {
            const string Bias = "(rows, a, bh, queryStart, keyStart, keyCount);";
            if (scores == KernelScores.BiasOnly)
            {
                writer.WriteLine("// The scores are the bias rows of this tile, read in place.");
                writer.WriteLine("tile.LoadScoreBias" + Bias);
                return;
            }
            writer.WriteLine(product);
            if (scores == KernelScores.QueryKeyAndBias)
                writer.WriteLine("tile.AddScoreBias" + Bias);
        }

        private static void EmitBackward(SourceWriter writer, SoftmaxTiling tiling, SoftmaxSchedule schedule, KernelScores scores)
        {
            writer.WriteLine("/// <summary>");
            if (scores == KernelScores.BiasOnly)
            {
                writer.WriteLine("/// Backward: one task per (batch·head, group of key tiles). Each key tile packs its values once, then sweeps its");
                writer.WriteLine("/// query tiles, rebuilding the probabilities from the saved log-sum-exp. Value gradients stay in the worker until");
                writer.WriteLine("/// the key tile is done; the score gradients of each tile are the bias's gradient. No queries or keys, so no");
                writer.WriteLine("/// score product and no query or key gradients.");
            }
            else
            {
                writer.WriteLine("/// Backward: one task per (batch·head, group of key tiles). Each key tile packs its keys and values once, then sweeps");
                writer.WriteLine("/// its query tiles, rebuilding the probabilities from the saved log-sum-exp. Key and value gradients stay in the");
                writer.WriteLine("/// worker until the key tile is done; query gradients go to the group's partial sums, added up at the end.");
                if (scores == KernelScores.QueryKeyAndBias)
                    writer.WriteLine("/// The score gradients of each tile are also the bias's gradient.");
            }
            writer.WriteLine("/// </summary>");
            writer.WriteLine(KernelCode.AggressiveOptimization);
            writer.WriteLine($"public static void Backward<T, TVec, TOps>(in {Kernels}.AttentionBackwardArguments<T> args)");
            KernelCode.EmitSimdConstraints(writer);
            writer.OpenBlock();
            writer.WriteLine("var g = args;");
            writer.WriteLine("var a = g.Forward;");
            writer.WriteLine("int heads = a.Heads;");
            writer.WriteLine("int queryTiles = (a.Queries + QueryTile - 1) / QueryTile;");
            writer.WriteLine("int keyTiles = (a.Keys + KeyTile - 1) / KeyTile;");
            writer.WriteLine($"int groups = {Kernels}.KeyTileGroups.For(a.BatchHeads, keyTiles, a.Threads);");
            writer.WriteLine("// D = rowsum(dO ⊙ O) for every query: the softmax Jacobian's correction term.");
            writer.WriteLine($"using var delta = {Worker}.OutputDotGradient(g, HeadDim);");
            bool queryKey = scores != KernelScores.BiasOnly;
            KernelCode.EmitPaddedBackwardRows(writer, tiling.HeadDim, tiling.PaddedHeadDim, queryKey, "groups");
            if (scores == KernelScores.QueryKeyAndRelativePositions)
            {
                writer.WriteLine("// The distance rows (transposed and scaled for the scores, padded for the gradients), the padded position queries,");
                writer.WriteLine("// and each group's partial gradients of both.");
                writer.WriteLine($"using var positions = {Worker}.PackRelativePositions(g, groups, QueryTile, KeyTile, HeadDim, PaddedHeadDim);");
            }
            writer.WriteLine($"{Kernels}.KernelParallel.For(a.BatchHeads * groups, a.Threads, NewWorker<T, TVec, TOps>, (task, tile) =>");
            writer.OpenBlock();
            writer.WriteLine("int bh = task / groups, group = task % groups;");
            writer.WriteLine("// Key tiles group, group + groups, ...: interleaved so each group gets early and late tiles alike.");
            writer.WriteLine("for (int keyTile = group; keyTile < keyTiles; keyTile += groups)");
            writer.OpenBlock();
            writer.WriteLine("int keyStart = keyTile * KeyTile;");
            writer.WriteLine("int keyCount = global::System.Math.Min(KeyTile, a.Keys - keyStart);");
            writer.WriteLine(queryKey ? "tile.BeginKeyTile(a, bh, keyStart, keyCount);" : "tile.BeginValueTile(a, bh, keyStart, keyCount);");
            schedule.EmitQueryTileRange(writer);
            if (scores is KernelScores.QueryKeyAndBias or KernelScores.BiasOnly)
                schedule.EmitClearSkippedBiasGradient(writer, $"{Worker}.ClearScoreBiasGradient");
            schedule.EmitQueryTileLoop(writer);
            writer.WriteLine("int queryStart = queryTile * QueryTile;");
            writer.WriteLine("int rows = global::System.Math.Min(QueryTile, a.Queries - queryStart);");
            EmitScores(writer, scores, "tile.ScoreCurrentKeyTile(a.Query, heads, bh, queryStart, rows);");
            EmitRelativeScores(writer, scores);
            schedule.EmitPatternMask(writer, backward: true);
            writer.WriteLine("tile.MaskKeys(rows, a, bh, keyStart, keyCount);");
            writer.WriteLine("tile.Probabilities(rows, a, bh, queryStart);");
            if (scores is KernelScores.QueryKey or KernelScores.QueryKeyAndRelativePositions)
                writer.WriteLine("tile.Gradients(rows, keyCount, queries.Rows, outputGradients.Rows, keys.Rows, delta, queryGradients, group, heads, bh, queryStart, keyStart);");
            if (scores == KernelScores.QueryKeyAndRelativePositions)
            {
                writer.WriteLine("// The position term's score gradients are dS too: into the position queries and the distance rows.");
                writer.WriteLine("tile.PropagateRelativePositionGradients(rows, keyCount, a, positions, group, bh, queryStart, keyStart);");
            }
            else if (scores != KernelScores.QueryKey)
            {
                writer.WriteLine("tile.ValueAndScoreGradients(rows, keyCount, outputGradients.Rows, delta, heads, bh, queryStart);");
                writer.WriteLine("// The bias is added to the scores, so its gradient is the score gradient dS itself.");
                writer.WriteLine("tile.WriteScoreBiasGradient(rows, keyCount, g, bh, queryStart, keyStart);");
                if (queryKey)
                    writer.WriteLine("tile.PropagateScoreGradients(rows, keyCount, queries.Rows, keys.Rows, queryGradients, group, heads, bh, queryStart, keyStart);");
            }
            writer.CloseBlock();
            writer.WriteLine(queryKey ? "tile.EndKeyTile(keyCount, g, bh, keyStart);" : "tile.EndValueTile(keyCount, g, bh, keyStart);");
            writer.CloseBlock();
            writer.CloseBlock(");");
            if (queryKey)
                writer.WriteLine($"{Worker}.ReduceQueryGradients(queryGradients, g, HeadDim);");
            if (scores == KernelScores.QueryKeyAndRelativePositions)
                writer.WriteLine($"{Worker}.ReduceRelativePositionGradients(positions, g, HeadDim);");
            writer.CloseBlock();
        }

        private static string Int(long value) => SpecFormat.Int(value);
    }
}
