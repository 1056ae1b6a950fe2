namespace XformerDsl.Generator.Emit.Kernels
{
    /// <summary>
    /// What every emitted kernel class writes the same way, whatever its family: the SIMD type parameters' constraints
    /// and the optimisation attribute of its entry points, and the runtime names kernels call.
    /// </summary>
    internal static class KernelCode
    {
        /// <summary>The runtime's kernel building blocks.</summary>
        public const string Kernels = "global::XformerDsl.Kernels";

        /// <summary>The shared softmax tile steps, closed over the kernel's element, vector and SIMD types.</summary>
        public const string TileWorker = Kernels + ".SoftmaxTileWorker<T, TVec, TOps>";

        /// <summary>
        /// The constraints of a kernel method over <c>&lt;T, TVec, TOps&gt;</c>: the element type, its vector, and the
        /// SIMD operations on them (the runtime's one dispatch picks the width and the dtype).
        /// </summary>
        public const string SimdTypeParameterConstraints =
            "where T : unmanaged, global::System.Numerics.IFloatingPointIeee754<T>\n" +
            "where TVec : struct\n" +
            "where TOps : " + Kernels + ".ISimdOps<TVec, T>";

        /// <summary>
        /// Kernels are compiled fully optimised on first use: tiered compilation would run a training job's first steps
        /// through unoptimised code.
        /// </summary>
        public const string AggressiveOptimization =
            "[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]";

        /// <summary>Writes <see cref="SimdTypeParameterConstraints"/> one level deeper, under a method's signature.</summary>
        public static void EmitSimdConstraints(SourceWriter writer) => writer.Indented(() => writer.WriteLine(SimdTypeParameterConstraints));

        /// <summary>The kernel class's <c>HeadDim</c> and <c>PaddedHeadDim</c> constants, each with its summary.</summary>
        public static void EmitHeadDimConstants(SourceWriter writer, int headDim, int paddedHeadDim)
        {
            writer.WriteLine("/// <summary>The head size, Dim / Heads.</summary>");
            writer.WriteLine($"public const int HeadDim = {XformerDsl.Specs.SpecFormat.Int(headDim)};");
            writer.WriteLine();
            writer.WriteLine($"/// <summary>Head-sized rows as whole vectors: a multiple of 16{(paddedHeadDim == headDim ? $" ({XformerDsl.Specs.SpecFormat.Int(headDim)} needs no padding)" : "")}.</summary>");
            writer.WriteLine($"public const int PaddedHeadDim = {XformerDsl.Specs.SpecFormat.Int(paddedHeadDim)};");
        }

        /// <summary>
        /// A softmax backward pass's padded rows, over <c>a</c> (the forward arguments) and <c>g</c> (the backward's): the
        /// queries and keys (unless <paramref name="queryKey"/> is false, for a bias-only kernel) and the output gradients
        /// as whole vectors, and the query gradients' partials over <paramref name="groups"/> key-tile groups.
        /// </summary>
        public static void EmitPaddedBackwardRows(SourceWriter writer, int headDim, int paddedHeadDim, bool queryKey, string groups)
        {
            string padded = queryKey ? "Queries, keys and output gradients" : "Output gradients";
            writer.WriteLine(paddedHeadDim == headDim
                ? $"// {padded} as whole vectors: with no padding to do, the tensors themselves."
                : $"// {padded} with rows padded from {XformerDsl.Specs.SpecFormat.Int(headDim)} to {XformerDsl.Specs.SpecFormat.Int(paddedHeadDim)} columns.");
            if (queryKey)
            {
                writer.WriteLine($"using var queries = {TileWorker}.PadRows(a.Query, a.BatchHeads, heads, a.Queries, HeadDim, PaddedHeadDim, a.Threads);");
                writer.WriteLine($"using var keys = {TileWorker}.PadRows(a.Key, a.BatchHeads, heads, a.Keys, HeadDim, PaddedHeadDim, a.Threads);");
            }
            writer.WriteLine($"using var outputGradients = {TileWorker}.PadRows(g.OutputGradient, a.BatchHeads, heads, a.Queries, HeadDim, PaddedHeadDim, a.Threads);");
            if (queryKey)
                writer.WriteLine($"using var queryGradients = new {Kernels}.QueryGradientPartials<T>({groups}, a.BatchHeads, a.Queries, PaddedHeadDim);");
        }
    }
}
