using System;
using XformerDsl.Generator.Emit;
using XformerDsl.Generator.Emit.Kernels;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary>
    /// Emits <c>Kernel</c>, the fused CPU kernel of a <c>[LinearAttention]</c> declaration, nested in its attention class
    /// and implementing <c>IFusedLinearAttentionKernel</c>: the feature count, head size, chunk and causality written in
    /// as constants, the steps in the runtime's <c>LinearAttentionTiles</c> (pointer code stays in the runtime, so a
    /// user's project needs no unsafe code).
    /// </summary>
    internal static class LinearKernelEmitter
    {
        public const string ClassName = "Kernel";

        private const int PreferredChunk = 64;
        private const string Kernels = KernelCode.Kernels;
        private const string Tiles = "global::XformerDsl.Attention.Linear.LinearAttentionTiles<T, TVec, TOps>";
        private const string Interface = "global::XformerDsl.Autograd.IFusedLinearAttentionKernel";
        /// <summary>Positions per chunk: 64, or MaxLength rounded up to 16 when shorter.</summary>
        public static int Chunk(ModelSpec spec) => Math.Min(PreferredChunk, (spec.MaxLength + 15) / 16 * 16);

        public static void Emit(SourceWriter writer, ModelSpec spec, LinearAttentionSpec attention, string owner)
        {
            int headDim = spec.HeadDimOf(attention);
            int features = attention.FeatureCount(headDim);
            int chunk = Chunk(spec);
            string what = $"{(spec.Causal ? "causal" : "bidirectional")} linear attention over {Int(features)} features, head size {Int(headDim)}";
            string description = $"{owner}: {what}";

            writer.WriteLine("/// <summary>");
            writer.WriteLine($"/// The fused CPU kernel of this attention: {what}, forward and backward, on φ(q), φ(k) and v");
            writer.WriteLine("/// (the feature map stays outside, so TorchSharp autograd differentiates it). " + (spec.Causal
                ? $"Causal in chunks of {Int(chunk)}: a masked product inside a"
                : "Bidirectional as two small products, S = φ(K)ᵀ [V, 1] then"));
            writer.WriteLine(spec.Causal
                ? "/// chunk and a running Features × (HeadDim + 1) state across chunks, so memory grows with the sequence, never with seq × Features × HeadDim."
                : "/// φ(Q) S, the last column being each query's normaliser; memory grows with the sequence, never with seq × Features × HeadDim.");
            writer.WriteLine("/// Float32 and float64 tensors on the CPU run here; other devices and dtypes take the composed reference.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine($"public sealed class {ClassName} : {Interface}");
            writer.OpenBlock();
            writer.WriteLine("/// <summary>Values per head, Dim / Heads.</summary>");
            writer.WriteLine($"public const int HeadDim = {Int(headDim)};");
            writer.WriteLine();
            writer.WriteLine("/// <summary>m, features per head.</summary>");
            writer.WriteLine($"public const int Features = {Int(features)};");
            writer.WriteLine();
            writer.WriteLine(spec.Causal
                ? "/// <summary>Positions per chunk of the causal form.</summary>"
                : "/// <summary>Positions per block of output rows.</summary>");
            writer.WriteLine($"public const int Chunk = {Int(chunk)};");
            writer.WriteLine();
            writer.WriteLine(spec.Causal ? "/// <summary>Query i sees keys 0..i.</summary>" : "/// <summary>Every query sees every key.</summary>");
            writer.WriteLine($"public const bool Causal = {SpecFormat.Bool(spec.Causal)};");
            writer.WriteLine();
            writer.WriteLine($"static int {Interface}.HeadDim => HeadDim;");
            writer.WriteLine($"static int {Interface}.Features => Features;");
            writer.WriteLine($"static bool {Interface}.Causal => Causal;");
            writer.WriteLine();
            writer.WriteLine("/// <summary>What this kernel computes, for messages.</summary>");
            writer.WriteLine($"public static string Description => {Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(description, quote: true)};");
            writer.WriteLine();
            writer.WriteLine("// Rows padded to whole vectors: features to a multiple of 16, values and the normaliser's column of ones likewise.");
            writer.WriteLine("private static readonly global::XformerDsl.Attention.Linear.LinearAttentionLayout Layout = new(Features, HeadDim, Chunk);");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Forward: one task per (batch, head), writing the output and each query's normaliser.</summary>");
            writer.WriteLine(KernelCode.AggressiveOptimization);
            writer.WriteLine($"public static void Forward<T, TVec, TOps>(in {Kernels}.LinearAttentionForwardArguments<T> args)");
            KernelCode.EmitSimdConstraints(writer);
            writer.Indented(() => writer.WriteLine($"=> {Tiles}.Forward(args, Layout, Causal);"));
            writer.WriteLine();
            writer.WriteLine("/// <summary>Backward: one task per (batch, head), writing the gradients of φ(q), φ(k) and v.</summary>");
            writer.WriteLine(KernelCode.AggressiveOptimization);
            writer.WriteLine($"public static void Backward<T, TVec, TOps>(in {Kernels}.LinearAttentionBackwardArguments<T> args)");
            KernelCode.EmitSimdConstraints(writer);
            writer.Indented(() => writer.WriteLine($"=> {Tiles}.Backward(args, Layout, Causal);"));
            writer.CloseBlock();
        }

        private static string Int(long value) => SpecFormat.Int(value);
    }
}
