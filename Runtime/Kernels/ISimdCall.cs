using System.Numerics;

namespace XformerDsl.Kernels;

/// <summary>
/// One call of a SIMD kernel, written once generic over the element type and vector width; <see cref="SimdDispatch"/>
/// picks both and runs it. Implement it on a struct that carries the call's tensors and builds its typed arguments inside
/// <see cref="Run{T, TVec, TOps}"/>, so the JIT compiles one specialised body per (dtype, width) and devirtualises the kernel.
/// </summary>
public interface ISimdCall
{
    /// <summary>Runs the kernel at element type <typeparamref name="T"/> and vectors <typeparamref name="TVec"/>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <typeparam name="TVec">The vector type, e.g. <c>Vector256&lt;float&gt;</c>.</typeparam>
    /// <typeparam name="TOps">The vector operations at that width.</typeparam>
    void Run<T, TVec, TOps>()
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>;
}
