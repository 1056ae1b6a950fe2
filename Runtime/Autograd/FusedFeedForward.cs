using TorchSharp.Modules;
using XformerDsl.Kernels;
using static TorchSharp.torch;

namespace XformerDsl.Autograd;

/// <summary>
/// The position-wise feed-forward network <c>down(activation(up(x)))</c> of a generated model, GELU or ReLU, as one
/// autograd node. Its result and gradients are those of composing <c>up.forward</c>, <c>functional.gelu</c> or
/// <c>relu</c> and <c>down.forward</c>; what differs is where the <c>[tokens, hidden]</c> tensors live. They are the
/// largest of a block (32 MiB each at 4,096 tokens of hidden 2,048), and composed, each is a fresh allocation: on glibc
/// every allocation of 32 MiB or more is a new mapping whose every 4 KiB page faults when first written, four such
/// tensors per block and training step. Here the hidden activations and their gradient go to buffers advised to use
/// huge pages before the products write them (<see cref="NativeHeap"/>: 16 faults instead of 8,192 for 32 MiB), the
/// products write them in place (<c>addmm_</c>), and the activation and its derivative run in place.
/// </summary>
public static class FusedFeedForward
{
    /// <summary>
    /// <c>down(activation(up(x)))</c> for <paramref name="x"/> <c>[..., up.in_features]</c>; returns
    /// <c>[..., down.out_features]</c>. Off the CPU, or for dtypes other than float32 and float64, it is the composition
    /// itself.
    /// </summary>
    /// <param name="x">The input, any leading dimensions.</param>
    /// <param name="up">The projection to the hidden width.</param>
    /// <param name="down">The projection back.</param>
    /// <param name="activation"><see cref="Activation.Gelu"/> (the exact form, <c>x · Φ(x)</c>) or <see cref="Activation.Relu"/>.</param>
    /// <exception cref="ArgumentException">When the widths disagree, or for another activation.</exception>
    public static Tensor Apply(Tensor x, Linear up, Linear down, Activation activation)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(up);
        ArgumentNullException.ThrowIfNull(down);
        if (activation is not (Activation.Gelu or Activation.Relu))
            throw new ArgumentException($"The fused feed-forward network takes GELU or ReLU, not {activation}; compose a gated network (SwiGLU) from its projections.", nameof(activation));
        long inputWidth = up.weight!.shape[1], hidden = up.weight.shape[0];
        if (x.dim() < 1 || x.shape[^1] != inputWidth || down.weight!.shape[1] != hidden)
            throw new ArgumentException(
                $"The feed-forward network maps [..., {inputWidth}] through [{hidden}, {inputWidth}] and [{down.weight!.shape[0]}, {down.weight.shape[1]}] weights; " +
                $"x has shape {TensorMemory.Shape(x)} and the down projection's weight {TensorMemory.Shape(down.weight)}: the last dimension of x must be {inputWidth}, and the down projection must take {hidden} inputs.");
        if (WhyNotFused(x, up, down) is not null)
            return Composed(x, up, down, activation);
        object?[] inputs = [x, up.weight, up.bias, down.weight, down.bias, activation];
        if (FusedFeedForwardFunction.NeedsGradient(inputs))
            return FusedFeedForwardFunction.Run(inputs)[0];
        // Without a gradient to take, the activation runs in place of the pre-activation: one hidden buffer, not two.
        return RunForward(x, up.weight, up.bias, down.weight, down.bias, activation, keepHidden: false).Output;
    }

    /// <summary>
    /// Null when the fused node serves these tensors; otherwise why <see cref="Apply"/> composes the network instead: a
    /// device other than the CPU, a dtype other than float32 and float64, parameters of another dtype or device, or no tokens.
    /// </summary>
    public static string? WhyNotFused(Tensor x, Linear up, Linear down)
    {
        Tensor?[] parameters = [up.weight, up.bias, down.weight, down.bias];
        if (x.device_type != TorchSharp.DeviceType.CPU)
            return $"the fused feed-forward network runs on the CPU; x is on {x.device}";
        if (x.dtype is not (ScalarType.Float32 or ScalarType.Float64))
            return $"the fused feed-forward network runs on float32 and float64; x is {x.dtype}";
        if (parameters.Any(p => p is not null && (p.dtype != x.dtype || p.device_type != TorchSharp.DeviceType.CPU)))
            return $"the projections' parameters are not all {x.dtype} on the CPU, as x is";
        if (x.numel() == 0)
            return "x has no tokens";
        if (x.numel() / x.shape[^1] * up.weight!.shape[0] * x.ElementSize > TensorMemory.MaxBytes)
            return "the hidden activations would be larger than 2 GiB";
        return null;
    }

    /// <summary>The network composed from TorchSharp operations, as a module would write it: the reference of the fused node.</summary>
    public static Tensor Composed(Tensor x, Linear up, Linear down, Activation activation)
    {
        var hidden = up.forward(x);
        return down.forward(activation == Activation.Relu ? nn.functional.relu(hidden) : nn.functional.gelu(hidden));
    }

    /// <summary>
    /// Bytes of one block of hidden rows. Under glibc's largest mmap threshold (32 MiB) with room to spare, so a block
    /// freed after one step is reused from the heap by the next instead of being unmapped and faulted in again page by
    /// page; large enough that the products' row blocks keep the matrix units busy (1,024 tokens of hidden 2,048 in float32).
    /// </summary>
    internal const long BlockBytes = 8L << 20;

    /// <summary>Tokens per block of hidden rows: <see cref="BlockBytes"/> worth, at least one.</summary>
    internal static long TokensPerBlock(long hidden, long elementSize) => Math.Max(1, BlockBytes / (hidden * elementSize));

    /// <summary>
    /// The forward pass, block by block of <see cref="TokensPerBlock"/> tokens: the output, and for each block its
    /// activations and (GELU with <paramref name="keepHidden"/>) its pre-activations. Without <paramref name="keepHidden"/>
    /// nothing is kept and the activation runs in place of the pre-activation.
    /// </summary>
    internal static (Tensor Output, List<Tensor> PreActivations, List<Tensor> Activations) RunForward(Tensor x, Tensor upWeight, Tensor? upBias,
        Tensor downWeight, Tensor? downBias, Activation activation, bool keepHidden)
    {
        using var noGrad = no_grad();
        long width = x.shape[^1], tokens = x.numel() / width, hidden = upWeight.shape[0], outputWidth = downWeight.shape[0];
        long block = TokensPerBlock(hidden, x.ElementSize);
        using var rows = x.reshape(tokens, width);
        var outputRows = empty([tokens, outputWidth], x.dtype, x.device);
        var preActivations = new List<Tensor>();
        var activations = new List<Tensor>();
        for (long start = 0; start < tokens; start += block)
        {
            long count = Math.Min(block, tokens - start);
            using var inputBlock = rows.narrow(0, start, count);
            var preActivation = empty([count, hidden], x.dtype, x.device);
            Project(preActivation, inputBlock, upWeight, upBias);
            var activated = preActivation;
            // GELU's derivative reads the pre-activation, so training keeps it; ReLU's reads only the sign of the output.
            if (keepHidden && activation == Activation.Gelu)
            {
                activated = empty_like(preActivation);
                activated.copy_(preActivation);
                preActivations.Add(preActivation);
            }
            if (activation == Activation.Relu)
                activated.relu_();
            else
                activated.gelu_();
            using (var outputBlock = outputRows.narrow(0, start, count))
                Project(outputBlock, activated, downWeight, downBias);
            if (keepHidden)
                activations.Add(activated);
            else
                activated.Dispose();
        }
        long[] shape = [.. x.shape[..^1], outputWidth];
        var output = outputRows.view(shape);
        outputRows.Dispose();
        return (output, preActivations, activations);
    }

    /// <summary>
    /// The backward pass from the output's gradient, block by block as the forward pass ran: the gradients of x, the up
    /// projection's weight and bias, and the down projection's weight and bias (null for an absent bias). The weight
    /// gradients accumulate over the blocks inside the products.
    /// </summary>
    internal static (Tensor X, Tensor UpWeight, Tensor? UpBias, Tensor DownWeight, Tensor? DownBias) RunBackward(Tensor x,
        Tensor upWeight, bool upBias, Tensor downWeight, bool downBias, Activation activation, IReadOnlyList<Tensor> preActivations,
        IReadOnlyList<Tensor> activations, Tensor outputGradient)
    {
        using var noGrad = no_grad();
        long width = x.shape[^1], tokens = x.numel() / width, hidden = upWeight.shape[0], outputWidth = downWeight.shape[0];
        using var rows = x.reshape(tokens, width);
        using var gradientRows = outputGradient.reshape(tokens, outputWidth);
        var downWeightGradient = empty([outputWidth, hidden], x.dtype, x.device);
        var upWeightGradient = empty([hidden, width], x.dtype, x.device);
        var upBiasGradient = upBias ? zeros([hidden], x.dtype, x.device) : null;
        var downBiasGradient = downBias ? gradientRows.sum(0L) : null;
        var xGradientRows = empty([tokens, width], x.dtype, x.device);
        long start = 0;
        for (int i = 0; i < activations.Count; i++)
        {
            var activated = activations[i];
            long count = activated.shape[0];
            float accumulate = i == 0 ? 0 : 1;
            using var inputBlock = rows.narrow(0, start, count);
            using var gradientBlock = gradientRows.narrow(0, start, count);
            downWeightGradient.addmm_(gradientBlock.t(), activated, beta: accumulate);
            // The activations' gradient, written in place by the product and turned into the pre-activations'.
            using var hiddenGradient = empty([count, hidden], x.dtype, x.device);
            hiddenGradient.addmm_(gradientBlock, downWeight, beta: 0);
            if (activation == Activation.Relu)
            {
                using var inactive = activated.le(0);
                hiddenGradient.masked_fill_(inactive, 0);
            }
            else
            {
                GeluGradient.MultiplyInPlace(hiddenGradient, preActivations[i]);
            }
            upWeightGradient.addmm_(hiddenGradient.t(), inputBlock, beta: accumulate);
            if (upBiasGradient is not null)
            {
                using var blockSum = hiddenGradient.sum(0L);
                upBiasGradient.add_(blockSum);
            }
            using (var xBlock = xGradientRows.narrow(0, start, count))
                xBlock.addmm_(hiddenGradient, upWeight, beta: 0);
            start += count;
        }
        var xGradient = xGradientRows.view(x.shape);
        xGradientRows.Dispose();
        return (xGradient, upWeightGradient, upBiasGradient, downWeightGradient, downBiasGradient);
    }

    // target = rows · weightᵀ (+ bias), written in place: the product writes target's memory without allocating.
    private static void Project(Tensor target, Tensor rows, Tensor weight, Tensor? bias)
    {
        if (bias is null)
        {
            target.addmm_(rows, weight.t(), beta: 0);
            return;
        }
        target.copy_(bias.expand(target.shape));
        target.addmm_(rows, weight.t());
    }
}

/// <summary>
/// The autograd node of <see cref="FusedFeedForward"/>: saves x, the weights and the hidden tensors (the pre-activation
/// for GELU, the activations), and computes every gradient in its backward pass.
/// </summary>
public sealed class FusedFeedForwardFunction : FusedKernelFunction<FusedFeedForwardFunction>
{
    /// <inheritdoc/>
    public override string Name => "FusedFeedForward";

    /// <summary>Inputs: x, up weight, up bias (or null), down weight, down bias (or null), the activation. Output: the network's output; residuals: the hidden tensors.</summary>
    protected override (List<Tensor> Outputs, List<Tensor> Residuals) Forward(object?[] inputs)
    {
        var activation = (Activation)inputs[5]!;
        var (output, preActivations, activations) = FusedFeedForward.RunForward((Tensor)inputs[0]!, (Tensor)inputs[1]!, inputs[2] as Tensor,
            (Tensor)inputs[3]!, inputs[4] as Tensor, activation, keepHidden: true);
        return ([output], [.. activations, .. preActivations]);
    }

    /// <summary>The gradients of x and of both projections' weights and biases; none for the activation.</summary>
    protected override List<Tensor> Backward(object?[] inputs, List<Tensor> outputs, List<Tensor> residuals, List<Tensor> outputGradients)
    {
        var activation = (Activation)inputs[5]!;
        // The residuals are each block's activations, then (GELU) each block's pre-activations.
        int blocks = activation == Activation.Gelu ? residuals.Count / 2 : residuals.Count;
        var (x, upWeight, upBias, downWeight, downBias) = FusedFeedForward.RunBackward((Tensor)inputs[0]!, (Tensor)inputs[1]!,
            inputs[2] is Tensor, (Tensor)inputs[3]!, inputs[4] is Tensor, activation,
            residuals.GetRange(blocks, residuals.Count - blocks), residuals.GetRange(0, blocks), outputGradients[0]);
        return [x, upWeight, upBias!, downWeight, downBias!, null!];
    }
}
