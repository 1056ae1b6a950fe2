using System.Numerics;
using System.Runtime.CompilerServices;

namespace XformerDsl.Kernels;

/// <summary>
/// The small vector steps the attention kernels share, written once: a dot product, y += αx, a sum into a row, a row
/// written as a column of a transposed panel, a row's exponentials, and a softmax row's score gradients. Each runs the
/// same operations in the same order wherever it is called, so a kernel that must give the same bits for the same
/// inputs (the causal sorted-row kernels) can rely on it. Inlined into the kernels' loops, and fully optimised when not.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
/// <typeparam name="TVec">The vector type of <typeparamref name="TOps"/>.</typeparam>
/// <typeparam name="TOps">The SIMD width.</typeparam>
internal static unsafe class VectorSteps<T, TVec, TOps>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TVec : struct
    where TOps : ISimdOps<TVec, T>
{
    private const MethodImplOptions Hot = MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization;

    /// <summary>Σ x[i]·y[i] over n elements: whole vectors into one accumulator, then the rest in order.</summary>
    [MethodImpl(Hot)]
    public static T Dot(T* x, T* y, int n)
    {
        int i = 0;
        var sum = TOps.Zero;
        for (; i + TOps.Count <= n; i += TOps.Count)
            sum = TOps.MultiplyAdd(TOps.Load(x + i), TOps.Load(y + i), sum);
        T total = TOps.Sum(sum);
        for (; i < n; i++)
            total += x[i] * y[i];
        return total;
    }

    /// <summary>y += α·x over n elements.</summary>
    [MethodImpl(Hot)]
    public static void Axpy(T alpha, T* x, T* y, int n)
    {
        int i = 0;
        var factor = TOps.Broadcast(alpha);
        for (; i + TOps.Count <= n; i += TOps.Count)
            TOps.Store(TOps.MultiplyAdd(factor, TOps.Load(x + i), TOps.Load(y + i)), y + i);
        for (; i < n; i++)
            y[i] += alpha * x[i];
    }

    /// <summary>target += addend over n elements.</summary>
    [MethodImpl(Hot)]
    public static void Add(T* target, T* addend, int n)
    {
        int i = 0;
        for (; i + TOps.Count <= n; i += TOps.Count)
            TOps.Store(TOps.Add(TOps.Load(target + i), TOps.Load(addend + i)), target + i);
        for (; i < n; i++)
            target[i] += addend[i];
    }

    /// <summary>Writes <paramref name="row"/>[0..n) times <paramref name="scale"/> as column <paramref name="column"/> of a panel whose rows are <paramref name="width"/> apart.</summary>
    [MethodImpl(Hot)]
    public static void WriteColumn(T* panel, long width, int column, T* row, int n, T scale)
    {
        for (int c = 0; c < n; c++)
            panel[c * width + column] = row[c] * scale;
    }

    /// <summary>row = e^(row − shift) over n elements, n a multiple of the vector width; e^−∞ = 0.</summary>
    [MethodImpl(Hot)]
    public static void Exponentiate(T* row, int n, T shift)
    {
        var by = TOps.Broadcast(shift);
        for (int i = 0; i < n; i += TOps.Count)
            TOps.Store(TOps.Exp(TOps.Subtract(TOps.Load(row + i), by)), row + i);
    }

    /// <summary>
    /// A softmax row's score gradients from its probabilities P and their gradients dP (overwritten):
    /// dS = P ∘ (dP − D) · scale, D = Σ P ∘ dP given as <paramref name="correction"/>; n a multiple of the vector width.
    /// </summary>
    [MethodImpl(Hot)]
    public static void ScoreGradients(T* probabilities, T* gradients, int n, T correction, T scale)
    {
        var d = TOps.Broadcast(correction);
        var s = TOps.Broadcast(scale);
        for (int i = 0; i < n; i += TOps.Count)
            TOps.Store(TOps.Multiply(TOps.Multiply(TOps.Load(probabilities + i), TOps.Subtract(TOps.Load(gradients + i), d)), s), gradients + i);
    }
}
