using System.Numerics;
using XformerDsl.Autograd;
using XformerDsl.Kernels;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Routing;

/// <summary>
/// The autograd node of <see cref="BalancedClusterAttention.Attend"/> on the fused kernel. Inputs: query-keys, values,
/// members (int64), member validity (bool), whether causal, the kernel's threads. Output: the attended rows; residual:
/// each cluster's log-sum-exp. Gradients: of the query-keys and values.
/// </summary>
public sealed class BalancedClusterFunction : FusedKernelFunction<BalancedClusterFunction>
{
    /// <inheritdoc/>
    public override string Name => "BalancedClusterAttention";

    /// <inheritdoc/>
    protected override (List<Tensor> Outputs, List<Tensor> Residuals) Forward(object?[] inputs)
    {
        using var call = CallOf(inputs);
        SimdDispatch.Run(call.QueryKey.dtype, new ForwardCall(call));
        return ([call.Output], [call.LogSumExp]);
    }

    /// <summary>The gradients of the query-keys and values; none for the rest.</summary>
    protected override List<Tensor> Backward(object?[] inputs, List<Tensor> outputs, List<Tensor> residuals, List<Tensor> outputGradients)
    {
        using var call = CallOf(inputs, residuals[0]);
        var queryKeyGradient = NativeHeap.EmptyLike(call.QueryKey);
        var valueGradient = NativeHeap.EmptyLike(call.Value);
        using var outputGradient = outputGradients[0].contiguous();
        SimdDispatch.Run(call.QueryKey.dtype, new BackwardCall(call, outputGradient, queryKeyGradient, valueGradient));
        return [queryKeyGradient, valueGradient, null!, null!, null!, null!];
    }

    /// <summary>The fused forward pass at a given SIMD width (0: the widest; 512, 256 or 128 for tests).</summary>
    internal static Tensor RunForward(Tensor queryKey, Tensor value, Tensor members, Tensor memberValid, bool causal, int vectorBits)
    {
        using var call = Call.Of(queryKey, value, members, memberValid.to(ScalarType.Bool), causal, KernelParallel.DefaultThreads);
        SimdDispatch.Run(queryKey.dtype, new ForwardCall(call), vectorBits);
        call.LogSumExp.Dispose();
        return call.Output;
    }

    private static Call CallOf(object?[] inputs, Tensor? logSumExp = null) =>
        Call.Of((Tensor)inputs[0]!, (Tensor)inputs[1]!, (Tensor)inputs[2]!, (Tensor)inputs[3]!, (bool)inputs[4]!, (int)inputs[5]!, logSumExp);

    private sealed class Call : IDisposable
    {
        private readonly Tensor[] _inputs;
        private readonly Tensor? _borrowedLogSumExp;
        private readonly Tensor? _output;

        private Call(Tensor[] inputs, Tensor? borrowedLogSumExp, Tensor? output, Tensor logSumExp, bool causal, int threads)
        {
            _inputs = inputs;
            _borrowedLogSumExp = borrowedLogSumExp;
            _output = output;
            LogSumExp = logSumExp;
            Causal = causal;
            Threads = threads;
        }

        public Tensor QueryKey => _inputs[0];
        public Tensor Value => _inputs[1];
        // The forward pass's output; the backward pass has none.
        public Tensor Output => _output ?? throw new InvalidOperationException("The backward pass has no output tensor.");
        public Tensor LogSumExp { get; }
        public bool Causal { get; }
        public int Threads { get; }

        // The kernel's inputs, contiguous (copies only where they are not); for a forward pass a fresh output and
        // log-sum-exp, for a backward pass a handle of its own on the saved log-sum-exp.
        public static Call Of(Tensor queryKey, Tensor value, Tensor members, Tensor memberValid, bool causal, int threads,
            Tensor? logSumExp = null)
        {
            Tensor[] inputs = [queryKey.contiguous(), value.contiguous(), members.contiguous(), memberValid.contiguous()];
            var borrowed = logSumExp?.contiguous();
            return borrowed is not null
                ? new Call(inputs, borrowed, null, borrowed, causal, threads)
                : new Call(inputs, null, NativeHeap.EmptyLike(inputs[0]), NativeHeap.Empty(members.shape, queryKey.dtype, queryKey.device),
                    causal, threads);
        }

        public unsafe BalancedClusterArguments<T> Arguments<T>() where T : unmanaged, IFloatingPointIeee754<T> => new()
        {
            QueryKey = TensorMemory.Pointer<T>(QueryKey),
            Value = TensorMemory.Pointer<T>(Value),
            Output = _output is null ? null : TensorMemory.Pointer<T>(_output),
            LogSumExp = TensorMemory.Pointer<T>(LogSumExp),
            Members = TensorMemory.Pointer<long>(_inputs[2]),
            MemberValid = TensorMemory.Pointer<byte>(_inputs[3]),
            BatchHeads = (int)(QueryKey.shape[0] * QueryKey.shape[1]),
            Length = (int)QueryKey.shape[2],
            HeadDim = (int)QueryKey.shape[3],
            Clusters = (int)_inputs[2].shape[2],
            Window = (int)_inputs[2].shape[3],
            Causal = Causal,
            Scale = T.One / T.Sqrt(T.CreateChecked(QueryKey.shape[3])),
            SelfScore = T.CreateChecked(RoutingAttention.SelfScore),
            Threads = Threads,
        };

        public void Dispose()
        {
            foreach (var tensor in _inputs)
                tensor.Dispose();
            _borrowedLogSumExp?.Dispose();
        }
    }

    private readonly struct ForwardCall(Call call) : ISimdCall
    {
        public void Run<T, TVec, TOps>()
            where T : unmanaged, IFloatingPointIeee754<T>
            where TVec : struct
            where TOps : ISimdOps<TVec, T> =>
            BalancedClusterKernel<T, TVec, TOps>.Forward(call.Arguments<T>());
    }

    private readonly struct BackwardCall(Call call, Tensor outputGradient, Tensor queryKeyGradient, Tensor valueGradient) : ISimdCall
    {
        public unsafe void Run<T, TVec, TOps>()
            where T : unmanaged, IFloatingPointIeee754<T>
            where TVec : struct
            where TOps : ISimdOps<TVec, T> =>
            BalancedClusterKernel<T, TVec, TOps>.Backward(call.Arguments<T>(), TensorMemory.Pointer<T>(outputGradient),
                TensorMemory.Pointer<T>(queryKeyGradient), TensorMemory.Pointer<T>(valueGradient));
    }
}
