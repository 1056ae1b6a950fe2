using System.Numerics;
using XformerDsl.Autograd;
using XformerDsl.Kernels;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Sorted;

/// <summary>
/// The attention over <see cref="CausalGroupWindows"/> on the fused CPU kernel (<see cref="CausalGroupWindowKernel{T,TVec,TOps}"/>)
/// through TorchSharp autograd, or on <see cref="CausalGroupWindowReference"/> for tensors the kernel does not serve.
/// </summary>
public static class CausalGroupWindowAttention
{
    /// <summary>
    /// The attended rows <c>[batch, heads, length, headDim]</c> of queries, keys and values of that shape in position order
    /// (see <see cref="CausalGroupWindowReference.Compose"/> for <paramref name="valid"/> and <paramref name="selfScore"/>).
    /// </summary>
    public static Tensor Attend(Tensor query, Tensor key, Tensor value, CausalGroupWindows windows, Tensor valid, double? selfScore)
    {
        if (FusedKernelSupport.WhyNotFused(query, key, value, null) is not null)
            return CausalGroupWindowReference.Compose(query, key, value, windows, valid, selfScore).Output;
        var outputs = CausalGroupWindowFunction.Run(query, key, value, windows.Groups, windows.Order, windows.Rank,
            valid.to(ScalarType.Bool).contiguous(), windows.Window, selfScore.HasValue, selfScore ?? 0.0);
        return outputs[0];
    }

    /// <summary>The fused forward pass: output and log-sum-exp (the latter for the backward pass and tests).</summary>
    public static (Tensor Output, Tensor LogSumExp) RunForward(Tensor query, Tensor key, Tensor value, CausalGroupWindows windows,
        Tensor valid, double? selfScore, int vectorBits = 0)
    {
        using var call = Call.Of(query, key, value, windows.Groups, windows.Order, windows.Rank, valid.to(ScalarType.Bool).contiguous(),
            windows.Window, selfScore);
        SimdDispatch.Run(query.dtype, new CausalGroupWindowFunction.ForwardCall(call), vectorBits);
        return (call.Output, call.LogSumExp);
    }

    internal sealed class Call : IDisposable
    {
        private readonly Tensor[] _inputs;
        private readonly Tensor[] _borrowedOutputs;

        private Call(Tensor[] inputs, Tensor[] borrowedOutputs, Tensor output, Tensor logSumExp, int window, double? selfScore)
        {
            _inputs = inputs;
            _borrowedOutputs = borrowedOutputs;
            Output = output;
            LogSumExp = logSumExp;
            Window = window;
            SelfScore = selfScore;
        }

        public Tensor Query => _inputs[0];
        public Tensor Key => _inputs[1];
        public Tensor Value => _inputs[2];
        public Tensor Output { get; }
        public Tensor LogSumExp { get; }
        public int Window { get; }
        public double? SelfScore { get; }

        // The kernel's inputs, contiguous (copies only where they are not), and fresh output tensors.
        public static Call Of(Tensor query, Tensor key, Tensor value, Tensor groups, Tensor order, Tensor rank, Tensor valid,
            int window, double? selfScore, Tensor? output = null, Tensor? logSumExp = null)
        {
            Tensor[] inputs = [query.contiguous(), key.contiguous(), value.contiguous(), groups.contiguous(), order.contiguous(),
                rank.contiguous(), valid.contiguous()];
            // The backward pass reads the forward's outputs through handles of its own; a forward pass's fresh outputs are returned.
            Tensor[] borrowed = output is not null && logSumExp is not null ? [output.contiguous(), logSumExp.contiguous()] : [];
            return new Call(inputs, borrowed,
                borrowed.Length > 0 ? borrowed[0] : NativeHeap.EmptyLike(inputs[0]),
                borrowed.Length > 0 ? borrowed[1] : NativeHeap.Empty(query.shape.Take(3).ToArray(), query.dtype, query.device),
                window, selfScore);
        }

        public unsafe CausalGroupWindowArguments<T> Arguments<T>() where T : unmanaged, IFloatingPointIeee754<T> => new()
        {
            Query = TensorMemory.Pointer<T>(Query),
            Key = TensorMemory.Pointer<T>(Key),
            Value = TensorMemory.Pointer<T>(Value),
            Output = TensorMemory.Pointer<T>(Output),
            LogSumExp = TensorMemory.Pointer<T>(LogSumExp),
            Groups = TensorMemory.Pointer<long>(_inputs[3]),
            Order = TensorMemory.Pointer<long>(_inputs[4]),
            Rank = TensorMemory.Pointer<long>(_inputs[5]),
            Valid = TensorMemory.Pointer<byte>(_inputs[6]),
            BatchHeads = (int)(Query.shape[0] * Query.shape[1]),
            Heads = (int)Query.shape[1],
            Length = (int)Query.shape[2],
            HeadDim = (int)Query.shape[3],
            Rounds = (int)_inputs[3].shape[2],
            Window = Window,
            Scale = T.One / T.Sqrt(T.CreateChecked(Query.shape[3])),
            HasSelfScore = SelfScore.HasValue,
            SelfScore = T.CreateChecked(SelfScore ?? 0.0),
            Threads = KernelParallel.DefaultThreads,
        };

        public void Dispose()
        {
            foreach (var tensor in _inputs.Concat(_borrowedOutputs))
                tensor.Dispose();
        }
    }
}

/// <summary>
/// The autograd node of <see cref="CausalGroupWindowAttention"/>. Inputs: query, key, value, groups, order, rank, valid
/// (bool), window, whether a self score is given, and the self score. Output: the attended rows; residual: the log-sum-exp.
/// </summary>
public sealed class CausalGroupWindowFunction : FusedKernelFunction<CausalGroupWindowFunction>
{
    /// <inheritdoc/>
    public override string Name => "CausalGroupWindowAttention";

    /// <inheritdoc/>
    protected override (List<Tensor> Outputs, List<Tensor> Residuals) Forward(object?[] inputs)
    {
        using var call = CallOf(inputs);
        SimdDispatch.Run(call.Query.dtype, new ForwardCall(call));
        return ([call.Output], [call.LogSumExp]);
    }

    /// <summary>The gradients of the query, key and value; none for the rest.</summary>
    protected override List<Tensor> Backward(object?[] inputs, List<Tensor> outputs, List<Tensor> residuals, List<Tensor> outputGradients)
    {
        using var call = CallOf(inputs, outputs[0], residuals[0]);
        var queryGradient = NativeHeap.EmptyLike(call.Query);
        var keyGradient = NativeHeap.EmptyLike(call.Key);
        var valueGradient = NativeHeap.EmptyLike(call.Value);
        using var outputGradient = outputGradients[0].contiguous();
        SimdDispatch.Run(call.Query.dtype, new BackwardCall(call, outputGradient, queryGradient, keyGradient, valueGradient));
        return [queryGradient, keyGradient, valueGradient, null!, null!, null!, null!, null!, null!, null!];
    }

    private static CausalGroupWindowAttention.Call CallOf(object?[] inputs, Tensor? output = null, Tensor? logSumExp = null) =>
        CausalGroupWindowAttention.Call.Of((Tensor)inputs[0]!, (Tensor)inputs[1]!, (Tensor)inputs[2]!, (Tensor)inputs[3]!,
            (Tensor)inputs[4]!, (Tensor)inputs[5]!, (Tensor)inputs[6]!, (int)inputs[7]!, (bool)inputs[8]! ? (double)inputs[9]! : null,
            output, logSumExp);

    internal readonly struct ForwardCall(CausalGroupWindowAttention.Call call) : ISimdCall
    {
        public void Run<T, TVec, TOps>()
            where T : unmanaged, IFloatingPointIeee754<T>
            where TVec : struct
            where TOps : ISimdOps<TVec, T> =>
            CausalGroupWindowKernel<T, TVec, TOps>.Forward(call.Arguments<T>());
    }

    private readonly struct BackwardCall(CausalGroupWindowAttention.Call call, Tensor outputGradient, Tensor queryGradient,
        Tensor keyGradient, Tensor valueGradient) : ISimdCall
    {
        public unsafe void Run<T, TVec, TOps>()
            where T : unmanaged, IFloatingPointIeee754<T>
            where TVec : struct
            where TOps : ISimdOps<TVec, T> =>
            CausalGroupWindowKernel<T, TVec, TOps>.Backward(call.Arguments<T>(), TensorMemory.Pointer<T>(outputGradient),
                TensorMemory.Pointer<T>(queryGradient), TensorMemory.Pointer<T>(keyGradient), TensorMemory.Pointer<T>(valueGradient));
    }
}
