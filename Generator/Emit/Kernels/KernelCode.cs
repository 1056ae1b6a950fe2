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
    }
}
