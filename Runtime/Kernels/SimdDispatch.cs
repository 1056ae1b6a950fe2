using System.Numerics;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace XformerDsl.Kernels;

/// <summary>
/// The one place a fused kernel call turns a tensor dtype and the machine's SIMD width into type arguments: float32 or
/// float64, then 512-, 256- or 128-bit vectors. Called once per kernel call, never inside its loops.
/// </summary>
public static class SimdDispatch
{
    /// <summary>
    /// Runs <paramref name="call"/> for <paramref name="dtype"/> at the widest accelerated SIMD width, or at
    /// <paramref name="forcedBits"/> (512, 256 or 128) when a test compares every width.
    /// </summary>
    /// <exception cref="ArgumentException">When <paramref name="dtype"/> is neither float32 nor float64.</exception>
    public static void Run<TCall>(ScalarType dtype, TCall call, int forcedBits = 0) where TCall : struct, ISimdCall
    {
        switch (dtype)
        {
            case ScalarType.Float32: RunAt<float, TCall>(call, forcedBits); break;
            case ScalarType.Float64: RunAt<double, TCall>(call, forcedBits); break;
            default: throw new ArgumentException($"The fused kernels run on float32 and float64, not {dtype}.", nameof(dtype));
        }
    }

    /// <summary>The SIMD width to run at: <paramref name="forcedBits"/> (512, 256 or 128, for tests) or the widest accelerated.</summary>
    public static int VectorBits(int forcedBits) => forcedBits != 0 ? forcedBits : SimdWidth.Use512 ? 512 : SimdWidth.Use256 ? 256 : 128;

    private static void RunAt<T, TCall>(TCall call, int forcedBits)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TCall : struct, ISimdCall
    {
        switch (VectorBits(forcedBits))
        {
            case 512: call.Run<T, Vector512<T>, Simd512<T>>(); break;
            case 256: call.Run<T, Vector256<T>, Simd256<T>>(); break;
            default: call.Run<T, Vector128<T>, Simd128<T>>(); break;
        }
    }
}
