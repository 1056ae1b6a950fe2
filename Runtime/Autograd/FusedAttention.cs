using System.Numerics;
using TorchSharp;
using XformerDsl.Attention;
using XformerDsl.Kernels;
using static TorchSharp.torch;

namespace XformerDsl.Autograd;

/// <summary>
/// A fused attention kernel as the generator emits it for one model: forward and backward over raw memory, specialised
/// at compile time (head size, pattern, tile sizes are constants), plus the reference composition that serves the
/// tensors the kernel does not. <see cref="FusedAttention{TKernel}"/> wires any implementation into TorchSharp autograd.
/// </summary>
public interface IFusedAttentionKernel
{
    /// <summary>The head size the kernel is compiled for.</summary>
    static abstract int HeadDim { get; }

    /// <summary>
    /// The longest sequence the kernel serves: a pattern family's block layout is computed for the model's MaxLength.
    /// Unlimited by default.
    /// </summary>
    static virtual int MaxLength => int.MaxValue;

    /// <summary>What the kernel computes, for messages, e.g. <c>TinyGpt: causal full attention, head size 64</c>.</summary>
    static abstract string Description { get; }

    /// <summary>The same attention composed from TorchSharp ops: any device, any dtype.</summary>
    static abstract Tensor Reference(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask);

    /// <summary>Writes the output and the log-sum-exp of every query.</summary>
    static abstract void Forward<T, TVec, TOps>(in AttentionForwardArguments<T> args)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>;

    /// <summary>Writes the query, key and value gradients.</summary>
    static abstract void Backward<T, TVec, TOps>(in AttentionBackwardArguments<T> args)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>;
}

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
        AttentionShapes.Check(query, key, value, keyPaddingMask, TKernel.Description);
        if (query.shape[3] != TKernel.HeadDim)
            throw new ArgumentException(
                $"{TKernel.Description}: the kernel is compiled for head size {TKernel.HeadDim}, but query has shape {AttentionShapes.Shape(query)}; " +
                $"split the heads as [batch, heads, seq, {TKernel.HeadDim}].");
        if (query.shape[2] > TKernel.MaxLength || key.shape[2] > TKernel.MaxLength)
            throw new ArgumentException(
                $"{TKernel.Description}: the attention pattern is laid out for sequences of up to MaxLength = {TKernel.MaxLength} tokens, but query has shape {AttentionShapes.Shape(query)} and key {AttentionShapes.Shape(key)}; " +
                $"cut the sequence to {TKernel.MaxLength} tokens, or declare a larger MaxLength.");
        if (WhyNotFused(query, key, value, keyPaddingMask) is not null)
            return TKernel.Reference(query, key, value, keyPaddingMask);
        return FusedAttentionFunction<TKernel>.Run(query, key, value, keyPaddingMask)[0].transpose(1, 2);
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
    internal static (Tensor Output, Tensor LogSumExp) RunForward(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask, int vectorBits = 0)
    {
        long batch = query.shape[0], heads = query.shape[1], queries = query.shape[2];
        var output = NativeHeap.Empty(new[] { batch, queries, heads, (long)TKernel.HeadDim }, query.dtype, query.device);
        var logSumExp = NativeHeap.Empty(new[] { batch, heads, queries }, query.dtype, query.device);
        using var scope = NewDisposeScope();
        var q = TensorMemory.Readable(query);
        var k = TensorMemory.Readable(key);
        var v = TensorMemory.Readable(value);
        var mask = keyPaddingMask is null ? null : keyPaddingMask.to(ScalarType.Bool).contiguous();
        var o = output.transpose(1, 2);
        SimdDispatch.Run(query.dtype, new ForwardCall(q, k, v, o, logSumExp, mask), vectorBits);
        return (output, logSumExp);
    }

    /// <summary>Runs the backward kernel from what the forward pass saved; returns the query, key and value gradients.</summary>
    internal static (Tensor Query, Tensor Key, Tensor Value) RunBackward(Tensor query, Tensor key, Tensor value, Tensor output,
        Tensor logSumExp, Tensor? keyPaddingMask, Tensor outputGradient, int vectorBits = 0)
    {
        var queryGradient = NativeHeap.EmptyLike(query);
        var keyGradient = NativeHeap.EmptyLike(key);
        var valueGradient = NativeHeap.EmptyLike(value);
        using var scope = NewDisposeScope();
        var q = TensorMemory.Readable(query);
        var k = TensorMemory.Readable(key);
        var v = TensorMemory.Readable(value);
        var o = output.transpose(1, 2);
        var dO = TensorMemory.Readable(outputGradient.transpose(1, 2));
        var lse = logSumExp.contiguous();
        var mask = keyPaddingMask is null ? null : keyPaddingMask.to(ScalarType.Bool).contiguous();
        SimdDispatch.Run(query.dtype, new BackwardCall(new ForwardCall(q, k, v, o, lse, mask), dO, queryGradient, keyGradient, valueGradient), vectorBits);
        return (queryGradient, keyGradient, valueGradient);
    }

    // The kernel's tensors; the typed arguments are built once the dtype is known.
    private readonly struct ForwardCall(Tensor query, Tensor key, Tensor value, Tensor output, Tensor logSumExp, Tensor? keyMask) : ISimdCall
    {
        public void Run<T, TVec, TOps>()
            where T : unmanaged, IFloatingPointIeee754<T>
            where TVec : struct
            where TOps : ISimdOps<TVec, T> =>
            TKernel.Forward<T, TVec, TOps>(Arguments<T>());

        public AttentionForwardArguments<T> Arguments<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
            FusedKernelSupport.ForwardArguments<T>(query, key, value, output, logSumExp, keyMask, TKernel.HeadDim);
    }

    private readonly struct BackwardCall(ForwardCall forward, Tensor outputGradient, Tensor queryGradient, Tensor keyGradient, Tensor valueGradient) : ISimdCall
    {
        public void Run<T, TVec, TOps>()
            where T : unmanaged, IFloatingPointIeee754<T>
            where TVec : struct
            where TOps : ISimdOps<TVec, T> =>
            TKernel.Backward<T, TVec, TOps>(FusedKernelSupport.BackwardArguments(forward.Arguments<T>(), outputGradient, queryGradient, keyGradient, valueGradient));
    }
}

/// <summary>What every fused attention kernel (softmax or linear) needs of its tensors, and which SIMD width it runs at.</summary>
public static class FusedKernelSupport
{
    /// <summary>
    /// Null when a fused CPU kernel can read these tensors (the first is the query, whose dtype is checked); otherwise why
    /// not: a device other than the CPU, a dtype other than float32 and float64, empty tensors, a tensor over 2 GiB, or a
    /// machine without SIMD acceleration.
    /// </summary>
    public static string? WhyNotFused(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask)
    {
        Tensor?[] all = [query, key, value, keyPaddingMask];
        if (all.Any(t => t is not null && t.device_type != DeviceType.CPU))
            return $"the fused kernel runs on the CPU; these tensors are on {query.device}";
        if (query.dtype is not (ScalarType.Float32 or ScalarType.Float64))
            return $"the fused kernel runs on float32 and float64; these tensors are {query.dtype}";
        if (query.numel() == 0 || key.numel() == 0)
            return "the tensors are empty";
        if (all.Any(t => t is not null && t.numel() * t.ElementSize > TensorMemory.MaxBytes))
            return "a tensor is larger than 2 GiB";
        if (!SimdWidth.Any)
            return "this machine has no SIMD acceleration";
        return null;
    }

    /// <summary>
    /// Runs a fused kernel's backward step on the tensors its forward pass saved. Each call to
    /// <c>get_saved_variables</c> unpacks fresh handles; they are released here rather than left to finalizers.
    /// </summary>
    public static List<Tensor> WithSavedTensors(torch.autograd.AutogradContext ctx, Func<List<Tensor>, List<Tensor>> backward)
    {
        var saved = ctx.get_saved_variables();
        try
        {
            return backward(saved);
        }
        finally
        {
            foreach (var tensor in saved)
                tensor?.Dispose();
        }
    }

    /// <summary>The SIMD width to run at: <paramref name="forced"/> (512, 256 or 128, for tests) or the widest accelerated.</summary>
    public static int VectorBits(int forced) => SimdDispatch.VectorBits(forced);

    /// <summary>
    /// The arguments of a softmax attention kernel over <c>[batch, heads, rows, headDim]</c> tensors the kernel can read
    /// in place (see <see cref="TensorMemory.Readable"/>), scaled by 1/√<paramref name="headDim"/>, on the default threads.
    /// </summary>
    public static unsafe AttentionForwardArguments<T> ForwardArguments<T>(Tensor query, Tensor key, Tensor value, Tensor output,
        Tensor logSumExp, Tensor? keyMask, int headDim)
        where T : unmanaged, IFloatingPointIeee754<T> => new()
        {
            Batch = (int)query.shape[0],
            Heads = (int)query.shape[1],
            Queries = (int)query.shape[2],
            Keys = (int)key.shape[2],
            Query = TensorMemory.HeadRowsOf<T>(query),
            Key = TensorMemory.HeadRowsOf<T>(key),
            Value = TensorMemory.HeadRowsOf<T>(value),
            Output = TensorMemory.HeadRowsOf<T>(output),
            LogSumExp = TensorMemory.Pointer<T>(logSumExp),
            KeyMask = keyMask is null ? null : TensorMemory.Pointer<byte>(keyMask),
            Scale = T.One / T.Sqrt(T.CreateChecked(headDim)),
            Threads = KernelParallel.DefaultThreads,
        };

    /// <summary>The arguments of a softmax attention kernel's backward pass, from its forward arguments and the gradients.</summary>
    public static AttentionBackwardArguments<T> BackwardArguments<T>(AttentionForwardArguments<T> forward, Tensor outputGradient,
        Tensor queryGradient, Tensor keyGradient, Tensor valueGradient)
        where T : unmanaged, IFloatingPointIeee754<T> => new()
        {
            Forward = forward,
            OutputGradient = TensorMemory.HeadRowsOf<T>(outputGradient),
            QueryGradient = TensorMemory.HeadRowsOf<T>(queryGradient),
            KeyGradient = TensorMemory.HeadRowsOf<T>(keyGradient),
            ValueGradient = TensorMemory.HeadRowsOf<T>(valueGradient),
        };
}

/// <summary>
/// The autograd node of a fused attention kernel: forward saves the inputs, the output and the log-sum-exp (O(seq)
/// extra memory, no score matrix); backward runs the generated backward kernel.
/// </summary>
/// <typeparam name="TKernel">The generated kernel.</typeparam>
public sealed class FusedAttentionFunction<TKernel> : FusedKernelFunction<FusedAttentionFunction<TKernel>>
    where TKernel : IFusedAttentionKernel
{
    /// <inheritdoc/>
    public override string Name => "FusedAttention";

    /// <summary>Inputs: query, key, value, key padding mask (or null). Output: <c>[batch, queries, heads, headDim]</c>; residual: the log-sum-exp.</summary>
    protected override (List<Tensor> Outputs, List<Tensor> Residuals) Forward(object?[] inputs)
    {
        var (output, logSumExp) = FusedAttention<TKernel>.RunForward((Tensor)inputs[0]!, (Tensor)inputs[1]!, (Tensor)inputs[2]!, inputs[3] as Tensor);
        return ([output], [logSumExp]);
    }

    /// <summary>The gradients of query, key and value; none for the mask.</summary>
    protected override List<Tensor> Backward(object?[] inputs, List<Tensor> outputs, List<Tensor> residuals, List<Tensor> outputGradients)
    {
        var (query, key, value) = FusedAttention<TKernel>.RunBackward((Tensor)inputs[0]!, (Tensor)inputs[1]!, (Tensor)inputs[2]!,
            outputs[0], residuals[0], inputs[3] as Tensor, outputGradients[0]);
        return [query, key, value, null!];
    }
}
