using System.Numerics;
using static TorchSharp.torch;

namespace XformerDsl.Kernels;

/// <summary>
/// GELU's derivative applied to a gradient in place, <c>g ← g ⊙ (Φ(h) + h·φ(h))</c> with <c>Φ(h) = ½·(1 + erf(h/√2))</c>
/// and <c>φ(h) = e^(−h²/2)/√(2π)</c>, the exact GELU's as libtorch differentiates it. The error function is libtorch's
/// (in a huge-page buffer of its own, in place); the rest is one SIMD pass over the three tensors.
/// </summary>
internal static class GeluGradient
{
    // Elements per task: large enough that a task's overhead vanishes, small enough that both threads share the work.
    private const int ElementsPerTask = 1 << 16;

    /// <summary>Multiplies <paramref name="gradient"/> by GELU's derivative at <paramref name="preActivation"/>: both contiguous, the same shape and dtype, on the CPU.</summary>
    public static void MultiplyInPlace(Tensor gradient, Tensor preActivation)
    {
        using var erf = NativeHeap.EmptyLike(preActivation);
        erf.copy_(preActivation).mul_(Math.Sqrt(0.5)).erf_();
        SimdDispatch.Run(gradient.dtype, new Call(gradient, preActivation, erf));
    }

    private readonly struct Call(Tensor gradient, Tensor preActivation, Tensor erf) : ISimdCall
    {
        public unsafe void Run<T, TVec, TOps>()
            where T : unmanaged, IFloatingPointIeee754<T>
            where TVec : struct
            where TOps : ISimdOps<TVec, T>
        {
            T* g = TensorMemory.Pointer<T>(gradient), h = TensorMemory.Pointer<T>(preActivation), e = TensorMemory.Pointer<T>(erf);
            long count = gradient.numel();
            int tasks = (int)((count + ElementsPerTask - 1) / ElementsPerTask);
            KernelParallel.For(tasks, KernelParallel.DefaultThreads, () => NoScratch.Instance, (task, _) =>
            {
                long start = (long)task * ElementsPerTask;
                Multiply<T, TVec, TOps>(g + start, h + start, e + start, (int)Math.Min(ElementsPerTask, count - start));
            });
        }
    }

    private static unsafe void Multiply<T, TVec, TOps>(T* g, T* h, T* e, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>
    {
        T half = T.CreateChecked(0.5), minusHalf = -half, inverseSqrtTwoPi = T.CreateChecked(0.3989422804014327);
        TVec vHalf = TOps.Broadcast(half), vMinusHalf = TOps.Broadcast(minusHalf), vInverseSqrtTwoPi = TOps.Broadcast(inverseSqrtTwoPi);
        int w = TOps.Count, i = 0;
        for (; i + w <= n; i += w)
        {
            TVec x = TOps.Load(h + i);
            TVec density = TOps.Multiply(TOps.Exp(TOps.Multiply(TOps.Multiply(x, x), vMinusHalf)), vInverseSqrtTwoPi);
            TVec derivative = TOps.MultiplyAdd(x, density, TOps.MultiplyAdd(TOps.Load(e + i), vHalf, vHalf));
            TOps.Store(TOps.Multiply(TOps.Load(g + i), derivative), g + i);
        }
        for (; i < n; i++)
        {
            T x = h[i];
            g[i] *= half + half * e[i] + x * T.Exp(minusHalf * x * x) * inverseSqrtTwoPi;
        }
    }
}
