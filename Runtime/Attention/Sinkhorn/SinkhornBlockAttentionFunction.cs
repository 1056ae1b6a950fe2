using XformerDsl.Autograd;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Sinkhorn;

/// <summary>The autograd node of <see cref="SinkhornBlockAttention{TKernel}"/>: saves the rows, the masks, the output and the log-sum-exp.</summary>
public sealed class SinkhornBlockAttentionFunction<TKernel> : FusedKernelFunction<SinkhornBlockAttentionFunction<TKernel>>
    where TKernel : ISinkhornBlockKernel
{
    /// <inheritdoc/>
    public override string Name => "SinkhornBlockAttention";

    /// <summary>
    /// Inputs: query, key, value, sorted key, sorted value, then the sorted blocks' visibility <c>[batch, blocks]</c> and
    /// the valid positions <c>[batch, length]</c> (contiguous bool). Output: the attended rows; residual: the log-sum-exp.
    /// </summary>
    protected override (List<Tensor> Outputs, List<Tensor> Residuals) Forward(object?[] inputs)
    {
        var (output, logSumExp) = SinkhornBlockAttention<TKernel>.RunForward(Input(inputs, 0), Input(inputs, 1), Input(inputs, 2),
            Input(inputs, 3), Input(inputs, 4), Input(inputs, 5), Input(inputs, 6));
        return ([output], [logSumExp]);
    }

    /// <summary>The gradients of the five row tensors; none for the masks.</summary>
    protected override List<Tensor> Backward(object?[] inputs, List<Tensor> outputs, List<Tensor> residuals, List<Tensor> outputGradients)
    {
        var gradients = SinkhornBlockAttention<TKernel>.RunBackward(Input(inputs, 0), Input(inputs, 1), Input(inputs, 2),
            Input(inputs, 3), Input(inputs, 4), Input(inputs, 5), Input(inputs, 6), outputs[0], residuals[0], outputGradients[0]);
        return [.. gradients, null!, null!];
    }

    private static Tensor Input(object?[] inputs, int index) => (Tensor)inputs[index]!;
}
