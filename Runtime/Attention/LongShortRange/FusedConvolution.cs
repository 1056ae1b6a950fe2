using System.Numerics;
using TorchSharp;
using XformerDsl.Autograd;
using XformerDsl.Kernels;
using static TorchSharp.torch;

namespace XformerDsl.Attention.LongShortRange;

/// <summary>
/// Runs the fused lightweight and dynamic convolution kernels of one declared shape from TorchSharp: checks the
/// tensors, takes <see cref="ConvolutionReference"/> for tensors the kernels do not serve (see <see cref="WhyNotFused"/>),
/// and otherwise runs the kernels, through <c>torch.autograd.MultiTensorFunction</c> when a gradient is needed.
/// </summary>
/// <remarks>
/// Generated code declares one struct per kernel size and padding (see <see cref="IConvolutionShape"/>) and calls
/// <c>FusedConvolution&lt;Convolution31&gt;.Dynamic(x, weights)</c> or <c>.Lightweight(x, weight, bias)</c> with the
/// final weights (softmax and DropConnect applied, <see cref="ConvolutionReference.SoftmaxDropConnect"/>) and the padding
/// tokens of x already zeroed (<see cref="ConvolutionReference.ZeroPadding"/>).
/// </remarks>
/// <typeparam name="TShape">The declared kernel size and padding.</typeparam>
public static class FusedConvolution<TShape> where TShape : struct, IConvolutionShape
{
    /// <summary>What the kernels compute, for messages: e.g. <c>causal convolution of kernel size 31</c>.</summary>
    public static string Description => $"{(TShape.Causal ? "causal" : "centred")} convolution of kernel size {TShape.KernelSize}";

    /// <summary>
    /// Lightweight convolution, <c>y[b, t, c] = Σ_k w[c / R, k] · x[b, t + k − P, c] (+ bias[c])</c>.
    /// </summary>
    /// <param name="input">x, <c>[batch, seq, channels]</c>.</param>
    /// <param name="weight">w, <c>[heads, K]</c> with heads dividing channels: normalised, DropConnect applied.</param>
    /// <param name="bias">Null, or <c>[channels]</c>, added after the convolution.</param>
    /// <returns><c>[batch, seq, channels]</c>.</returns>
    /// <exception cref="ArgumentException">When the shapes disagree or K is not the declared kernel size.</exception>
    public static Tensor Lightweight(Tensor input, Tensor weight, Tensor? bias = null)
    {
        ConvolutionShapes.CheckLightweight(input, weight, bias, TShape.KernelSize, Description);
        if (WhyNotFused(input, weight) is not null)
            return ConvolutionReference.Lightweight(input, weight, TShape.Causal, bias);
        var output = FusedConvolutionFunction<TShape>.Run(input, weight)[0];
        if (bias is null)
            return output;
        using (output)
            return output + bias;
    }

    /// <summary>Dynamic convolution, <c>y[b, t, c] = Σ_k w[b, t, c / R, k] · x[b, t + k − P, c]</c>.</summary>
    /// <param name="input">x, <c>[batch, seq, channels]</c>.</param>
    /// <param name="weights">w, <c>[batch, seq, heads, K]</c> with heads dividing channels: normalised, DropConnect applied.</param>
    /// <returns><c>[batch, seq, channels]</c>.</returns>
    /// <exception cref="ArgumentException">When the shapes disagree or K is not the declared kernel size.</exception>
    public static Tensor Dynamic(Tensor input, Tensor weights)
    {
        ConvolutionShapes.CheckDynamic(input, weights, TShape.KernelSize, Description);
        if (WhyNotFused(input, weights) is not null)
            return ConvolutionReference.Dynamic(input, weights, TShape.Causal);
        return FusedConvolutionFunction<TShape>.Run(input, weights)[0];
    }

    /// <summary>
    /// A state that steps this causal convolution through generation, one position per call, equal to
    /// <see cref="Lightweight"/> and <see cref="Dynamic"/> at every position (see <see cref="CausalConvolutionState"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">When the convolution is centred: it reads positions not generated yet.</exception>
    public static CausalConvolutionState CreateState(long batch, int channels, int heads, Device device, ScalarType dtype) =>
        TShape.Causal
            ? new CausalConvolutionState(batch, channels, heads, TShape.KernelSize, device, dtype)
            : throw new InvalidOperationException(
                $"A {Description} reads {(TShape.KernelSize - 1) / 2} positions ahead, so it cannot step one position at a time; generation needs a causal convolution (an encoder runs it over the whole sequence).");

    /// <summary>
    /// Null when the fused kernels serve these tensors; otherwise why not, and so why <see cref="Lightweight"/> and
    /// <see cref="Dynamic"/> take the reference path: a device other than the CPU, a dtype other than float32 and
    /// float64, empty tensors, a tensor over 2 GiB, or a machine without SIMD acceleration.
    /// </summary>
    /// <exception cref="ArgumentException">When <typeparamref name="TShape"/> itself is invalid (a kernel size below 1, or
    /// an even size for a centred convolution): no path serves it.</exception>
    public static string? WhyNotFused(Tensor input, Tensor weights)
    {
        ConvolutionPadding.Validate(TShape.KernelSize, TShape.Causal);
        if (input.device_type != DeviceType.CPU || weights.device_type != DeviceType.CPU)
            return $"the fused kernel runs on the CPU; these tensors are on {input.device}";
        if (input.dtype is not (ScalarType.Float32 or ScalarType.Float64))
            return $"the fused kernel runs on float32 and float64; these tensors are {input.dtype}";
        if (input.numel() == 0 || weights.numel() == 0)
            return "the tensors are empty";
        if (input.numel() * input.ElementSize > TensorMemory.MaxBytes || weights.numel() * weights.ElementSize > TensorMemory.MaxBytes)
            return "a tensor is larger than 2 GiB";
        if (!SimdWidth.Any)
            return "this machine has no SIMD acceleration";
        return null;
    }

    /// <summary>Runs the forward kernel: <c>[batch, seq, channels]</c>. The weights' rank says which convolution (2: lightweight, 4: dynamic).</summary>
    /// <param name="input">x.</param>
    /// <param name="weights"><c>[heads, K]</c> or <c>[batch, seq, heads, K]</c>.</param>
    /// <param name="vectorBits">512, 256 or 128 to force a SIMD width (tests compare them all); 0 for the widest accelerated.</param>
    internal static Tensor RunForward(Tensor input, Tensor weights, int vectorBits = 0)
    {
        var output = NativeHeap.Empty(input.shape, input.dtype, input.device);
        using var scope = NewDisposeScope();
        var x = input.contiguous();
        var w = weights.contiguous();
        SimdDispatch.Run(input.dtype, new ForwardCall(x, w, output), vectorBits);
        return output;
    }

    /// <summary>Runs the backward kernel; returns the gradients of the input and of the weights.</summary>
    internal static (Tensor Input, Tensor Weights) RunBackward(Tensor input, Tensor weights, Tensor outputGradient, int vectorBits = 0)
    {
        var inputGradient = NativeHeap.Empty(input.shape, input.dtype, input.device);
        var weightGradient = NativeHeap.Empty(weights.shape, weights.dtype, weights.device);
        using var scope = NewDisposeScope();
        var x = input.contiguous();
        var w = weights.contiguous();
        var dy = outputGradient.contiguous();
        // The backward kernel reads the forward arguments but not the output: x stands in for it.
        SimdDispatch.Run(input.dtype, new BackwardCall(new ForwardCall(x, w, x), dy, inputGradient, weightGradient), vectorBits);
        return (inputGradient, weightGradient);
    }

    // The kernel's tensors; the typed arguments are built once the dtype is known.
    private readonly struct ForwardCall(Tensor input, Tensor weights, Tensor output) : ISimdCall
    {
        public void Run<T, TVec, TOps>()
            where T : unmanaged, IFloatingPointIeee754<T>
            where TVec : struct
            where TOps : ISimdOps<TVec, T> =>
            ConvolutionKernels<TShape>.Forward<T, TVec, TOps>(Arguments<T>());

        public unsafe ConvolutionArguments<T> Arguments<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            bool dynamic = weights.dim() == 4;
            long heads = weights.shape[dynamic ? 2 : 0];
            return new()
            {
                Batch = (int)input.shape[0],
                Length = (int)input.shape[1],
                Channels = (int)input.shape[2],
                Heads = (int)heads,
                Input = TensorMemory.Pointer<T>(input),
                Output = TensorMemory.Pointer<T>(output),
                Weights = TensorMemory.Pointer<T>(weights),
                WeightRowStride = dynamic ? heads * TShape.KernelSize : 0,
                Threads = KernelParallel.DefaultThreads,
            };
        }
    }

    private readonly struct BackwardCall(ForwardCall forward, Tensor outputGradient, Tensor inputGradient, Tensor weightGradient) : ISimdCall
    {
        public unsafe void Run<T, TVec, TOps>()
            where T : unmanaged, IFloatingPointIeee754<T>
            where TVec : struct
            where TOps : ISimdOps<TVec, T> =>
            ConvolutionKernels<TShape>.Backward<T, TVec, TOps>(new ConvolutionBackwardArguments<T>
            {
                Forward = forward.Arguments<T>(),
                OutputGradient = TensorMemory.Pointer<T>(outputGradient),
                InputGradient = TensorMemory.Pointer<T>(inputGradient),
                WeightGradient = TensorMemory.Pointer<T>(weightGradient),
            });
    }
}

/// <summary>
/// The autograd node of a fused convolution: inputs x and the weights (<c>[heads, K]</c> lightweight or
/// <c>[batch, seq, heads, K]</c> dynamic); the forward pass saves only its inputs, the backward pass runs the backward kernel.
/// </summary>
/// <typeparam name="TShape">The declared kernel size and padding.</typeparam>
public sealed class FusedConvolutionFunction<TShape> : FusedKernelFunction<FusedConvolutionFunction<TShape>>
    where TShape : struct, IConvolutionShape
{
    /// <inheritdoc/>
    public override string Name => "FusedConvolution";

    /// <summary>Inputs: x, weights. Output: <c>[batch, seq, channels]</c>; no residuals.</summary>
    protected override (List<Tensor> Outputs, List<Tensor> Residuals) Forward(object?[] inputs) =>
        ([FusedConvolution<TShape>.RunForward((Tensor)inputs[0]!, (Tensor)inputs[1]!)], []);

    /// <summary>The gradients of x and of the weights.</summary>
    protected override List<Tensor> Backward(object?[] inputs, List<Tensor> outputs, List<Tensor> residuals, List<Tensor> outputGradients)
    {
        var (input, weights) = FusedConvolution<TShape>.RunBackward((Tensor)inputs[0]!, (Tensor)inputs[1]!, outputGradients[0]);
        return [input, weights];
    }
}
