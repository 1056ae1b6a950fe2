using System.Buffers;
using System.Numerics.Tensors;
using XformerDsl.Kernels;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace XformerDsl.Modules;

/// <summary>
/// Activations applied to the few rows of a generation step, as generated <c>Step</c> methods call them in place of
/// <c>functional.gelu</c>. Why: for float32 on the CPU libtorch hands GELU to oneDNN, and <c>erf</c> to MKL's vector
/// library, each of which opens an OpenMP parallel region even for one token's thousand elements; its worker then spins
/// on the other core after every call. On 2 cores of an AMD EPYC (family 25 model 17) that made a sliding-window
/// model's step about a fifth slower than with one intra-op thread.
/// </summary>
public static class TokenActivation
{
    /// <summary>The most elements computed here; larger inputs run <c>functional.gelu</c>, where the parallel region pays.</summary>
    public const long MaxElements = 1 << 16;

    // Abramowitz & Stegun 7.1.26: erfc(a) ≈ t·(a₁ + t·(a₂ + t·(a₃ + t·(a₄ + t·a₅))))·e^(−a²), t = 1/(1 + p·a), a ≥ 0,
    // with an absolute error of at most 1.5e-7: below float32's rounding of the GELU it feeds.
    private const float P = 0.3275911f, A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;
    private static readonly float s_inverseSqrt2 = MathF.Sqrt(0.5f);

    /// <summary>
    /// <c>functional.gelu(x)</c>, the exact form <c>x · Φ(x)</c> with <c>Φ(x) = ½ · (1 + erf(x / √2))</c>. In float32
    /// on the CPU without gradients and for at most <see cref="MaxElements"/> elements it is computed here with
    /// System.Numerics.Tensors on the calling thread (erf to within 1.5e-7, Abramowitz &amp; Stegun 7.1.26, below
    /// float32's rounding of the result); otherwise, float64 included, it is <c>functional.gelu</c> itself.
    /// </summary>
    /// <param name="x">Any shape.</param>
    public static Tensor Gelu(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dtype != ScalarType.Float32 || x.numel() > MaxElements || !TensorMemory.ComputableByCpuLoop(x))
            return nn.functional.gelu(x);
        var input = x.is_contiguous() ? x : x.contiguous();
        var output = empty(x.shape, x.dtype, x.device);
        int count = (int)x.numel();
        float[] scratch = ArrayPool<float>.Shared.Rent(2 * count);
        try
        {
            Gelu(TensorMemory.Elements<float>(input, count), TensorMemory.Elements<float>(output, count), scratch.AsSpan(0, count), scratch.AsSpan(count, count));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
            if (!ReferenceEquals(input, x))
                input.Dispose();
        }
        return output;
    }

    private static void Gelu(ReadOnlySpan<float> x, Span<float> y, Span<float> a, Span<float> t)
    {
        // a = |x| / √2; t = 1 / (1 + p·a); y = t·poly(t) for now.
        TensorPrimitives.Abs(x, a);
        TensorPrimitives.Multiply(a, s_inverseSqrt2, a);
        TensorPrimitives.Multiply(a, P, t);
        TensorPrimitives.Add(t, 1f, t);
        TensorPrimitives.Reciprocal(t, t);
        TensorPrimitives.Multiply(t, A5, y);
        TensorPrimitives.Add(y, A4, y);
        TensorPrimitives.MultiplyAdd(y, t, A3, y);
        TensorPrimitives.MultiplyAdd(y, t, A2, y);
        TensorPrimitives.MultiplyAdd(y, t, A1, y);
        TensorPrimitives.Multiply(y, t, y);
        // ½·erfc(a) = ½·t·poly(t)·e^(−a²).
        TensorPrimitives.Multiply(a, a, a);
        TensorPrimitives.Negate(a, a);
        TensorPrimitives.Exp(a, a);
        TensorPrimitives.Multiply(y, a, y);
        TensorPrimitives.Multiply(y, 0.5f, y);
        // Φ(x) = 1 − ½·erfc(|x|/√2) for x ≥ 0, ½·erfc(|x|/√2) below; GELU = x·Φ(x).
        for (int i = 0; i < x.Length; i++)
            y[i] = x[i] >= 0 ? x[i] * (1f - y[i]) : x[i] * y[i];
    }
}
