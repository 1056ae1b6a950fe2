using XformerDsl.Kernels;
using static TorchSharp.torch;

namespace XformerDsl.Modules;

/// <summary>
/// Activations applied to the few rows of a generation step, as generated <c>Step</c> methods call them in place of
/// <c>functional.gelu</c>. Why: for float32 on the CPU libtorch hands GELU to oneDNN, whose element-wise primitive opens
/// an OpenMP parallel region even for one token's thousand elements; its worker then spins on the other core after
/// every call. On 2 cores of an AMD EPYC (family 25 model 17) that made a sliding-window model's step about a fifth
/// slower than with one intra-op thread.
/// </summary>
public static class TokenActivation
{
    /// <summary>The most elements computed here; larger inputs run <c>functional.gelu</c>, where the parallel region pays.</summary>
    public const long MaxElements = 1 << 16;

    private static readonly double s_inverseSqrt2 = Math.Sqrt(0.5);

    /// <summary>
    /// <c>functional.gelu(x)</c>, the exact form <c>x · ½ · (1 + erf(x / √2))</c>, which libtorch's own CPU kernel
    /// computes for every other dtype: element-wise operations below libtorch's parallel grain run on the calling thread.
    /// Equal to <c>functional.gelu</c> up to rounding. With gradients to record, off the CPU or for larger inputs it is
    /// <c>functional.gelu</c> itself.
    /// </summary>
    /// <param name="x">Any shape.</param>
    public static Tensor Gelu(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.numel() > MaxElements || !TensorMemory.ComputableByCpuLoop(x))
            return nn.functional.gelu(x);
        var y = x.mul(s_inverseSqrt2);
        y.erf_();
        y.add_(1.0);
        y.mul_(x);
        return y.mul_(0.5);
    }
}
