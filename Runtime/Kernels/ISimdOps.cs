using System.Numerics;

namespace XformerDsl.Kernels;

/// <summary>
/// The vector operations a kernel needs, at one SIMD width. Kernels are written once, generic over an implementation of
/// this interface, and the JIT compiles them for 512-, 256- or 128-bit vectors (<see cref="Simd512{T}"/>,
/// <see cref="Simd256{T}"/>, <see cref="Simd128{T}"/>): AVX-512 here, AVX2 on most laptops, NEON on Arm.
/// <see cref="SimdWidth"/> picks the widest one the machine accelerates. <typeparamref name="T"/> is float or double.
/// </summary>
/// <typeparam name="TVec">The vector type, e.g. <c>Vector512&lt;float&gt;</c>.</typeparam>
/// <typeparam name="T">The element type: <see cref="float"/> or <see cref="double"/>.</typeparam>
public interface ISimdOps<TVec, T>
    where TVec : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Elements per vector.</summary>
    static abstract int Count { get; }

    /// <summary>All zeros.</summary>
    static abstract TVec Zero { get; }

    /// <summary>Loads <see cref="Count"/> elements.</summary>
    static abstract unsafe TVec Load(T* source);

    /// <summary>Stores <see cref="Count"/> elements.</summary>
    static abstract unsafe void Store(TVec value, T* destination);

    /// <summary>Every lane set to <paramref name="value"/>.</summary>
    static abstract TVec Broadcast(T value);

    /// <summary><c>a · b + addend</c>, fused (one rounding).</summary>
    static abstract TVec MultiplyAdd(TVec a, TVec b, TVec addend);

    /// <summary>Lane-wise sum.</summary>
    static abstract TVec Add(TVec a, TVec b);

    /// <summary>Lane-wise difference.</summary>
    static abstract TVec Subtract(TVec a, TVec b);

    /// <summary>Lane-wise product.</summary>
    static abstract TVec Multiply(TVec a, TVec b);

    /// <summary>Lane-wise maximum.</summary>
    static abstract TVec Max(TVec a, TVec b);

    /// <summary>Lane-wise eˣ; e^−∞ = 0. Float lanes go through <see cref="VectorExp"/> (results under 10⁻³⁸ flushed to zero).</summary>
    static abstract TVec Exp(TVec a);

    /// <summary>The sum of the lanes.</summary>
    static abstract T Sum(TVec a);

    /// <summary>The largest lane.</summary>
    static abstract T MaxAcross(TVec a);

    /// <summary>Whether some lane of <paramref name="a"/> is greater than the same lane of <paramref name="b"/> (false for NaN lanes): a compare and a mask test, no reduction across lanes.</summary>
    static abstract bool AnyGreaterThan(TVec a, TVec b);
}
