namespace XformerDsl.Attention.LongShortRange;

/// <summary>
/// The compile-time shape of one declared convolution of Lite Transformer's Long-Short Range Attention: its kernel size
/// and whether it is causal (decoder) or centred (encoder). The source generator emits one tiny struct per declared
/// kernel size and padding, for example
/// <code>
/// public readonly struct Convolution31 : global::XformerDsl.Attention.LongShortRange.IConvolutionShape
/// {
///     public static int KernelSize => 31;
///     public static bool Causal => true;
/// }
/// </code>
/// and calls <see cref="FusedConvolution{TShape}"/> with it.
/// </summary>
/// <remarks>
/// Why a struct and static members: the fused kernels are generic over <c>TShape : struct, IConvolutionShape</c>. The JIT
/// never shares the code of a generic instantiated over a value type, so it compiles one kernel body per struct, in which
/// <see cref="KernelSize"/> and <see cref="Causal"/> are constants: the tap loop has a constant trip count, the padding
/// is folded, and the interior rows (all taps inside the sequence) run without bounds arithmetic. Any kernel size a user
/// declares is served this way (Lite Transformer's and fairseq's CUDA kernels exist only for the sizes their code
/// generator listed, and silently take another path for the others); heads and channels stay run-time values read from
/// the tensors, because one model uses the same kernel size at several widths.
/// </remarks>
public interface IConvolutionShape
{
    /// <summary>K, the taps of the kernel; at least 1, and odd when the convolution is centred.</summary>
    static abstract int KernelSize { get; }

    /// <summary>
    /// True for a causal (decoder) convolution, padded K − 1 on the left, so position t sees t − K + 1 … t; false for a
    /// centred (encoder) one, padded (K − 1) / 2 on each side.
    /// </summary>
    static abstract bool Causal { get; }
}

/// <summary>The padding and the validity rule both the reference and the kernels derive from a kernel size and causality.</summary>
public static class ConvolutionPadding
{
    /// <summary>
    /// P, the zeros before position 0: output t reads inputs t − P … t − P + K − 1. K − 1 when causal, (K − 1) / 2 when centred.
    /// </summary>
    /// <exception cref="ArgumentException">When the kernel size is below 1, or even for a centred convolution.</exception>
    public static int Left(int kernelSize, bool causal)
    {
        Validate(kernelSize, causal);
        return causal ? kernelSize - 1 : (kernelSize - 1) / 2;
    }

    /// <summary><see cref="Left"/> for a declared shape.</summary>
    public static int Left<TShape>() where TShape : struct, IConvolutionShape => Left(TShape.KernelSize, TShape.Causal);

    /// <summary>Throws unless <paramref name="kernelSize"/> is at least 1, and odd when the convolution is centred.</summary>
    /// <exception cref="ArgumentException">When it is not.</exception>
    public static void Validate(int kernelSize, bool causal)
    {
        if (kernelSize < 1)
            throw new ArgumentException($"A convolution needs at least one tap; got kernel size {kernelSize}.", nameof(kernelSize));
        // A centred kernel of even size has no centre: (K − 1) / 2 would silently look one step further right than left.
        if (!causal && kernelSize % 2 == 0)
            throw new ArgumentException(
                $"A centred (encoder) convolution needs an odd kernel size so it sees as far left as right; got {kernelSize}. Use {kernelSize - 1} or {kernelSize + 1}, or a causal convolution.",
                nameof(kernelSize));
    }
}
