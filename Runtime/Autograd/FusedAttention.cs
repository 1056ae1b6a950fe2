using System.Numerics;
using XformerDsl.Attention;
using XformerDsl.Kernels;
using static TorchSharp.torch;

namespace XformerDsl.Autograd;

/// <summary>
/// Runs a generated attention kernel from TorchSharp: checks the tensors, takes the reference path for tensors the
/// kernel does not serve (see <see cref="WhyNotFused"/>), and otherwise runs the kernel, through
/// <c>torch.autograd.MultiTensorFunction</c> when gradients are needed and directly when they are not.
/// </summary>
/// <typeparam name="TKernel">The generated kernel.</typeparam>
public static class FusedAttention<TKernel> where TKernel : IFusedAttentionKernel
{
    /// <summary>
    /// Attention of <c>[batch, heads, queries, headDim]</c> queries over <c>[batch, heads, keys, headDim]</c> keys and
    /// values, with an optional bool <c>[batch, keys]</c> mask (true for real tokens). Returns
    /// <c>[batch, heads, queries, headDim]</c>, laid out as <c>[batch, queries, heads, headDim]</c> in memory so merging
    /// the heads afterwards is free. A query that sees no key gets zeros.
    /// </summary>
    /// <exception cref="ArgumentException">When the shapes disagree or the head size is not the kernel's.</exception>
    public static Tensor Apply(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask)
    {
        CheckInputs(query, key, value, keyPaddingMask);
        if (WhyNotFused(query, key, value, keyPaddingMask) is not null)
            return TKernel.Reference(query, key, value, keyPaddingMask);
        return FusedAttentionFunction<TKernel>.Run(query, key, value, keyPaddingMask)[0].transpose(1, 2);
    }

    /// <summary>The checks of <see cref="Apply"/>: shapes that agree, the kernel's head size, at most MaxLength tokens.</summary>
    internal static void CheckInputs(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask)
    {
        AttentionShapes.Check(query, key, value, keyPaddingMask, TKernel.Description);
        if (query.shape[3] != TKernel.HeadDim)
            throw new ArgumentException(
                $"{TKernel.Description}: the kernel is compiled for head size {TKernel.HeadDim}, but query has shape {AttentionShapes.Shape(query)}; " +
                $"split the heads as [batch, heads, seq, {TKernel.HeadDim}].");
        if (query.shape[2] > TKernel.MaxLength || key.shape[2] > TKernel.MaxLength)
            throw new ArgumentException(
                $"{TKernel.Description}: the attention pattern is laid out for sequences of up to MaxLength = {TKernel.MaxLength} tokens, but query has shape {AttentionShapes.Shape(query)} and key {AttentionShapes.Shape(key)}; " +
                $"cut the sequence to {TKernel.MaxLength} tokens, or declare a larger MaxLength.");
    }

    /// <summary>
    /// Null when the fused kernel serves these tensors; otherwise why not, and so why <see cref="Apply"/> takes the
    /// reference path: a device other than the CPU, a dtype other than float32 and float64, a tensor over 2 GiB, or a
    /// machine without SIMD acceleration.
    /// </summary>
    public static string? WhyNotFused(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask) =>
        FusedKernelSupport.WhyNotFused(query, key, value, keyPaddingMask);

    /// <summary>Runs the forward kernel: the output <c>[batch, queries, heads, headDim]</c> and the log-sum-exp <c>[batch, heads, queries]</c>.</summary>
    /// <param name="query">Queries.</param>
    /// <param name="key">Keys.</param>
    /// <param name="value">Values.</param>
    /// <param name="keyPaddingMask">Null, or bool <c>[batch, keys]</c>.</param>
    /// <param name="vectorBits">512, 256 or 128 to force a SIMD width (tests compare them all); 0 for the widest accelerated.</param>
    internal static (Tensor Output, Tensor LogSumExp) RunForward(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask, int vectorBits = 0) =>
        RunForward(query, key, value, keyPaddingMask, scoreBias: null, vectorBits);

    /// <summary>
    /// Runs the forward kernel with an additive score bias (broadcastable to <c>[batch, heads, queries, keys]</c>, read
    /// in place through its strides) for a kernel that takes one; query and key are null for a bias-only kernel.
    /// </summary>
    internal static (Tensor Output, Tensor LogSumExp) RunForward(Tensor? query, Tensor? key, Tensor value, Tensor? keyPaddingMask,
        Tensor? scoreBias, int vectorBits = 0) =>
        RunForward(query, key, value, keyPaddingMask, scoreBias, relative: null, vectorBits);

    /// <summary>
    /// Runs the forward kernel with any of an additive score bias and Transformer-XL's relative-position term (for a
    /// kernel that takes them).
    /// </summary>
    internal static (Tensor Output, Tensor LogSumExp) RunForward(Tensor? query, Tensor? key, Tensor value, Tensor? keyPaddingMask,
        Tensor? scoreBias, RelativeTerm? relative, int vectorBits = 0)
    {
        long batch = value.shape[0], heads = value.shape[1], queries = query?.shape[2] ?? scoreBias!.shape[^2];
        var output = NativeHeap.Empty(new[] { batch, queries, heads, (long)TKernel.HeadDim }, value.dtype, value.device);
        var logSumExp = NativeHeap.Empty(new[] { batch, heads, queries }, value.dtype, value.device);
        using var scope = NewDisposeScope();
        var q = query is null ? null : TensorMemory.Readable(query);
        var k = key is null ? null : TensorMemory.Readable(key);
        var v = TensorMemory.Readable(value);
        var mask = keyPaddingMask is null ? null : keyPaddingMask.to(ScalarType.Bool).contiguous();
        var o = output.transpose(1, 2);
        SimdDispatch.Run(value.dtype, new ForwardCall(q, k, v, o, logSumExp, mask, BiasView(scoreBias, o, v), relative?.Readable()), vectorBits);
        return (output, logSumExp);
    }

    /// <summary>Runs the backward kernel from what the forward pass saved; returns the query, key and value gradients.</summary>
    internal static (Tensor Query, Tensor Key, Tensor Value) RunBackward(Tensor query, Tensor key, Tensor value, Tensor output,
        Tensor logSumExp, Tensor? keyPaddingMask, Tensor outputGradient, int vectorBits = 0)
    {
        var (queryGradient, keyGradient, valueGradient, _) = RunBackward(query, key, value, output, logSumExp, keyPaddingMask, outputGradient, scoreBias: null, vectorBits);
        return (queryGradient!, keyGradient!, valueGradient);
    }

    /// <summary>
    /// Runs the backward kernel of a kernel with a score bias: the query and key gradients (null for a bias-only kernel),
    /// the value gradient, and the bias's gradient in the bias's own shape (summed over what it was broadcast along; null
    /// without a bias).
    /// </summary>
    internal static (Tensor? Query, Tensor? Key, Tensor Value, Tensor? ScoreBias) RunBackward(Tensor? query, Tensor? key, Tensor value,
        Tensor output, Tensor logSumExp, Tensor? keyPaddingMask, Tensor outputGradient, Tensor? scoreBias, int vectorBits = 0)
    {
        var gradients = RunBackward(query, key, value, output, logSumExp, keyPaddingMask, outputGradient, scoreBias, relative: null, vectorBits);
        return (gradients.Query, gradients.Key, gradients.Value, gradients.ScoreBias);
    }

    /// <summary>
    /// Runs the backward kernel with any of a score bias and the relative-position term: as above, and the gradients of
    /// the position queries and the position rows (null without the term).
    /// </summary>
    internal static (Tensor? Query, Tensor? Key, Tensor Value, Tensor? ScoreBias, Tensor? PositionQuery, Tensor? Positions) RunBackward(
        Tensor? query, Tensor? key, Tensor value, Tensor output, Tensor logSumExp, Tensor? keyPaddingMask, Tensor outputGradient,
        Tensor? scoreBias, RelativeTerm? relative, int vectorBits = 0)
    {
        var queryGradient = query is null ? null : NativeHeap.EmptyLike(query);
        var keyGradient = key is null ? null : NativeHeap.EmptyLike(key);
        var valueGradient = NativeHeap.EmptyLike(value);
        var o = output.transpose(1, 2);
        // Every (batch, head) writes its own slice, so a bias the batch shares gets one slice per batch element, summed after.
        // The kernel writes every element (zeros where its schedule skips tiles), so the buffer is not zero-filled: at 8
        // heads of 4,096² that fill and its 4 KiB page faults cost about as much as the kernel's own backward pass.
        var biasGradient = scoreBias is null ? null : NativeHeap.Empty([o.shape[0], o.shape[1], o.shape[2], value.shape[2]], value.dtype, value.device);
        var positionQueryGradient = relative is null ? null : NativeHeap.EmptyLike(relative.PositionQuery);
        var positionGradient = relative is null ? null : NativeHeap.Empty(relative.Positions.shape, value.dtype, value.device);
        using (NewDisposeScope())
        {
            var q = query is null ? null : TensorMemory.Readable(query);
            var k = key is null ? null : TensorMemory.Readable(key);
            var v = TensorMemory.Readable(value);
            var dO = TensorMemory.Readable(outputGradient.transpose(1, 2));
            var lse = logSumExp.contiguous();
            var mask = keyPaddingMask is null ? null : keyPaddingMask.to(ScalarType.Bool).contiguous();
            var forward = new ForwardCall(q, k, v, o, lse, mask, BiasView(scoreBias, o, v), relative?.Readable());
            var relativeGradients = relative is null ? null : new RelativeTerm(positionQueryGradient!, positionGradient!);
            SimdDispatch.Run(value.dtype, new BackwardCall(forward, dO, queryGradient, keyGradient, valueGradient, biasGradient, relativeGradients), vectorBits);
        }
        return (queryGradient, keyGradient, valueGradient, biasGradient is null ? null : SumToShape(biasGradient, scoreBias!.shape),
            positionQueryGradient, positionGradient);
    }

    // The bias expanded to [batch, heads, queries, keys]: a view with stride 0 along what it is broadcast over, copied only
    // when its rows are not contiguous (a bias broadcast along the keys).
    private static Tensor? BiasView(Tensor? scoreBias, Tensor output, Tensor value)
    {
        if (scoreBias is null)
            return null;
        var expanded = scoreBias.expand(output.shape[0], output.shape[1], output.shape[2], value.shape[2]);
        return expanded.shape[3] > 1 && expanded.stride(3) != 1 ? expanded.contiguous() : expanded;
    }

    // A [batch, heads, queries, keys] gradient summed over the dimensions a tensor of this shape was broadcast along; a
    // leading dimension of size 1 is dropped as a view, since summing it would copy the whole gradient.
    private static Tensor SumToShape(Tensor gradient, long[] shape)
    {
        var result = gradient;
        while (result.dim() > shape.Length)
            result = result.shape[0] == 1 ? result.squeeze(0) : result.sum(0L, keepdim: false);
        for (int d = 0; d < shape.Length; d++)
            if (shape[d] == 1 && result.shape[d] != 1)
                result = result.sum((long)d, keepdim: true);
        return result;
    }

    // The kernel's tensors; the typed arguments are built once the dtype is known.
    private readonly struct ForwardCall(Tensor? query, Tensor? key, Tensor value, Tensor output, Tensor logSumExp, Tensor? keyMask, Tensor? scoreBias,
        RelativeTerm? relative) : ISimdCall
    {
        public void Run<T, TVec, TOps>()
            where T : unmanaged, IFloatingPointIeee754<T>
            where TVec : struct
            where TOps : ISimdOps<TVec, T> =>
            TKernel.Forward<T, TVec, TOps>(Arguments<T>());

        public AttentionForwardArguments<T> Arguments<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
            FusedKernelSupport.ForwardArguments<T>(query, key, value, output, logSumExp, keyMask, TKernel.HeadDim) with
            {
                ScoreBias = scoreBias is null ? default : TensorMemory.StridedHeadRowsOf<T>(scoreBias),
                PositionQuery = relative is null ? default : TensorMemory.HeadRowsOf<T>(relative.PositionQuery),
                Positions = relative is null ? default : TensorMemory.StridedHeadRowsOf<T>(relative.Positions.unsqueeze(0)),
                PositionCount = relative is null ? 0 : (int)relative.Positions.shape[1],
            };
    }

    private readonly struct BackwardCall(ForwardCall forward, Tensor outputGradient, Tensor? queryGradient, Tensor? keyGradient, Tensor valueGradient,
        Tensor? scoreBiasGradient, RelativeTerm? relativeGradients) : ISimdCall
    {
        public void Run<T, TVec, TOps>()
            where T : unmanaged, IFloatingPointIeee754<T>
            where TVec : struct
            where TOps : ISimdOps<TVec, T> =>
            TKernel.Backward<T, TVec, TOps>(FusedKernelSupport.BackwardArguments(forward.Arguments<T>(), outputGradient, queryGradient, keyGradient, valueGradient) with
            {
                ScoreBiasGradient = scoreBiasGradient is null ? default : TensorMemory.HeadRowsOf<T>(scoreBiasGradient),
                PositionQueryGradient = relativeGradients is null ? default : TensorMemory.HeadRowsOf<T>(relativeGradients.PositionQuery),
                PositionGradient = relativeGradients is null ? default : TensorMemory.HeadRowsOf<T>(relativeGradients.Positions.unsqueeze(0)),
            });
    }

    /// <summary>
    /// Transformer-XL's relative-position term of a kernel's scores: the position queries <c>q + v</c>, <c>[batch, heads,
    /// queries, headDim]</c>, and the projected distance rows <c>W_R·R</c>, <c>[heads, rows, headDim]</c> (or their gradients).
    /// </summary>
    internal sealed record RelativeTerm(Tensor PositionQuery, Tensor Positions)
    {
        /// <summary>Both in a layout the kernel reads in place (copied only when they are not).</summary>
        public RelativeTerm Readable() => new(TensorMemory.Readable(PositionQuery), Positions.stride(-1) == 1 ? Positions : Positions.contiguous());
    }
}
