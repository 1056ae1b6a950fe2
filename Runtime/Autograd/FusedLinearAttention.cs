using System.Numerics;
using XformerDsl.Attention;
using XformerDsl.Attention.Linear;
using XformerDsl.Kernels;
using static TorchSharp.torch;

namespace XformerDsl.Autograd;

/// <summary>
/// Runs a generated linear attention kernel from TorchSharp: checks the tensors, takes
/// <see cref="LinearAttentionReference"/> for tensors the kernel does not serve (see <see cref="WhyNotFused"/>), and
/// otherwise runs the kernel, through <c>torch.autograd.MultiTensorFunction</c> when gradients are needed.
/// </summary>
/// <typeparam name="TKernel">The generated kernel.</typeparam>
public static class FusedLinearAttention<TKernel> where TKernel : IFusedLinearAttentionKernel
{
    /// <summary>
    /// <c>φ(Q) (φ(K)ᵀ V) / (φ(Q) · Σ φ(K))</c> for φ(Q), φ(K) <c>[batch, heads, seq, features]</c> (non-negative) and V
    /// <c>[batch, heads, seq, headDim]</c>, with an optional bool <c>[batch, seq]</c> key-padding mask (true for real
    /// tokens). Returns <c>[batch, heads, seq, headDim]</c>. A query whose normaliser is 0 gets zeros.
    /// </summary>
    /// <exception cref="ArgumentException">When the shapes disagree or the sizes are not the kernel's.</exception>
    public static Tensor Apply(Tensor featureQuery, Tensor featureKey, Tensor value, Tensor? keyPaddingMask)
    {
        AttentionShapes.Check(featureQuery, featureKey, value, keyPaddingMask, TKernel.Description);
        if (featureQuery.shape[3] != TKernel.Features || value.shape[3] != TKernel.HeadDim)
            throw new ArgumentException(
                $"{TKernel.Description}: the kernel is compiled for {TKernel.Features} features and head size {TKernel.HeadDim}, but φ(Q) has shape " +
                $"{AttentionShapes.Shape(featureQuery)} and V {AttentionShapes.Shape(value)}; pass [batch, heads, seq, {TKernel.Features}] features and [batch, heads, seq, {TKernel.HeadDim}] values.");
        if (WhyNotFused(featureQuery, featureKey, value, keyPaddingMask) is not null)
            return LinearAttentionReference.Forward(featureQuery, featureKey, value, TKernel.Causal, keyPaddingMask);

        return FusedLinearAttentionFunction<TKernel>.Run(featureQuery, featureKey, value, keyPaddingMask)[0];
    }

    /// <summary>
    /// Null when the fused kernel serves these tensors; otherwise why not, and so why <see cref="Apply"/> takes the
    /// reference path: what <see cref="FusedKernelSupport.WhyNotFused"/> rules out, or queries and keys of different lengths.
    /// </summary>
    public static string? WhyNotFused(Tensor featureQuery, Tensor featureKey, Tensor value, Tensor? keyPaddingMask) =>
        FusedKernelSupport.WhyNotFused(featureQuery, featureKey, value, keyPaddingMask)
        ?? (featureQuery.shape[2] != featureKey.shape[2] ? $"the fused kernel attends a sequence to itself; there are {featureQuery.shape[2]} queries and {featureKey.shape[2]} keys" : null);

    /// <summary>Runs the forward kernel: the output <c>[batch, heads, seq, headDim]</c> and the normalisers <c>[batch, heads, seq]</c>.</summary>
    /// <param name="featureQuery">φ(Q).</param>
    /// <param name="featureKey">φ(K).</param>
    /// <param name="value">V.</param>
    /// <param name="keyPaddingMask">Null, or bool <c>[batch, seq]</c>.</param>
    /// <param name="vectorBits">512, 256 or 128 to force a SIMD width (tests compare them all); 0 for the widest accelerated.</param>
    internal static (Tensor Output, Tensor Normaliser) RunForward(Tensor featureQuery, Tensor featureKey, Tensor value, Tensor? keyPaddingMask, int vectorBits = 0)
    {
        long batch = value.shape[0], heads = value.shape[1], length = value.shape[2];
        var output = NativeHeap.Empty(new[] { batch, heads, length, (long)TKernel.HeadDim }, value.dtype, value.device);
        var normaliser = NativeHeap.Empty(new[] { batch, heads, length }, value.dtype, value.device);
        using var scope = NewDisposeScope();
        var q = TensorMemory.Readable(featureQuery);
        var k = TensorMemory.Readable(featureKey);
        var v = TensorMemory.Readable(value);
        var mask = keyPaddingMask?.to(ScalarType.Bool).contiguous();
        SimdDispatch.Run(value.dtype, new ForwardCall(q, k, v, output, normaliser, mask), vectorBits);
        return (output, normaliser);
    }

    /// <summary>Runs the backward kernel from what the forward pass saved; returns the gradients of φ(Q), φ(K) and V.</summary>
    internal static (Tensor FeatureQuery, Tensor FeatureKey, Tensor Value) RunBackward(Tensor featureQuery, Tensor featureKey, Tensor value,
        Tensor output, Tensor normaliser, Tensor? keyPaddingMask, Tensor outputGradient, int vectorBits = 0)
    {
        var queryGradient = NativeHeap.Empty(featureQuery.shape, featureQuery.dtype, featureQuery.device);
        var keyGradient = NativeHeap.Empty(featureKey.shape, featureKey.dtype, featureKey.device);
        var valueGradient = NativeHeap.Empty(value.shape, value.dtype, value.device);
        using var scope = NewDisposeScope();
        var q = TensorMemory.Readable(featureQuery);
        var k = TensorMemory.Readable(featureKey);
        var v = TensorMemory.Readable(value);
        var dO = TensorMemory.Readable(outputGradient);
        var n = normaliser.contiguous();
        var mask = keyPaddingMask?.to(ScalarType.Bool).contiguous();
        SimdDispatch.Run(value.dtype, new BackwardCall(new ForwardCall(q, k, v, output, n, mask), dO, queryGradient, keyGradient, valueGradient), vectorBits);
        return (queryGradient, keyGradient, valueGradient);
    }

    private static unsafe LinearAttentionForwardArguments<T> ForwardArguments<T>(Tensor q, Tensor k, Tensor v, Tensor output, Tensor normaliser, Tensor? mask)
        where T : unmanaged, IFloatingPointIeee754<T> => new()
        {
            Batch = (int)v.shape[0],
            Heads = (int)v.shape[1],
            Length = (int)v.shape[2],
            FeatureQuery = TensorMemory.HeadRowsOf<T>(q),
            FeatureKey = TensorMemory.HeadRowsOf<T>(k),
            Value = TensorMemory.HeadRowsOf<T>(v),
            Output = TensorMemory.HeadRowsOf<T>(output),
            Normaliser = TensorMemory.Pointer<T>(normaliser),
            KeyMask = mask is null ? null : TensorMemory.Pointer<byte>(mask),
            Threads = KernelParallel.DefaultThreads,
        };

    private static LinearAttentionBackwardArguments<T> BackwardArguments<T>(LinearAttentionForwardArguments<T> forward, Tensor outputGradient,
        Tensor queryGradient, Tensor keyGradient, Tensor valueGradient)
        where T : unmanaged, IFloatingPointIeee754<T> => new()
        {
            Forward = forward,
            OutputGradient = TensorMemory.HeadRowsOf<T>(outputGradient),
            FeatureQueryGradient = TensorMemory.HeadRowsOf<T>(queryGradient),
            FeatureKeyGradient = TensorMemory.HeadRowsOf<T>(keyGradient),
            ValueGradient = TensorMemory.HeadRowsOf<T>(valueGradient),
        };

    // The kernel's tensors; the typed arguments are built once the dtype is known.
    private readonly struct ForwardCall(Tensor featureQuery, Tensor featureKey, Tensor value, Tensor output, Tensor normaliser, Tensor? keyMask) : ISimdCall
    {
        public void Run<T, TVec, TOps>()
            where T : unmanaged, IFloatingPointIeee754<T>
            where TVec : struct
            where TOps : ISimdOps<TVec, T> =>
            TKernel.Forward<T, TVec, TOps>(Arguments<T>());

        public LinearAttentionForwardArguments<T> Arguments<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
            ForwardArguments<T>(featureQuery, featureKey, value, output, normaliser, keyMask);
    }

    private readonly struct BackwardCall(ForwardCall forward, Tensor outputGradient, Tensor queryGradient, Tensor keyGradient, Tensor valueGradient) : ISimdCall
    {
        public void Run<T, TVec, TOps>()
            where T : unmanaged, IFloatingPointIeee754<T>
            where TVec : struct
            where TOps : ISimdOps<TVec, T> =>
            TKernel.Backward<T, TVec, TOps>(BackwardArguments(forward.Arguments<T>(), outputGradient, queryGradient, keyGradient, valueGradient));
    }
}
