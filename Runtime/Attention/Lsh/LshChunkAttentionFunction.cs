using XformerDsl.Attention.Sorted;
using XformerDsl.Autograd;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Lsh;

/// <summary>The autograd node of <see cref="LshChunkAttention{TKernel}"/>: saves the sorted rows, the index tensors, output and log-sum-exp.</summary>
public sealed class LshChunkAttentionFunction<TKernel> : FusedKernelFunction<LshChunkAttentionFunction<TKernel>>
    where TKernel : ILshChunkKernel
{
    /// <inheritdoc/>
    public override string Name => "LshChunkAttention";

    /// <summary>
    /// Inputs: sorted query, key, value, then positions, chunkOf, valid (contiguous; valid bool) and causal.
    /// Outputs: attended rows, log-sum-exp.
    /// </summary>
    protected override (List<Tensor> Outputs, List<Tensor> Residuals) Forward(object?[] inputs)
    {
        var (output, logSumExp) = LshChunkAttention<TKernel>.RunForward((Tensor)inputs[0]!, (Tensor)inputs[1]!, (Tensor)inputs[2]!, PlanOf(inputs));
        return ([output, logSumExp], []);
    }

    /// <summary>The gradients of the sorted query, key and value; none for the index tensors.</summary>
    protected override List<Tensor> Backward(object?[] inputs, List<Tensor> outputs, List<Tensor> residuals, List<Tensor> outputGradients)
    {
        var (query, key, value) = LshChunkAttention<TKernel>.RunBackward((Tensor)inputs[0]!, (Tensor)inputs[1]!, (Tensor)inputs[2]!,
            outputs[0], outputs[1], outputGradients[0], outputGradients[1], PlanOf(inputs));
        return [query, key, value, null!, null!, null!, null!];
    }

    private static LshChunkAttention<TKernel>.Plan PlanOf(object?[] inputs) =>
        new(new SortedChunkPlan((Tensor)inputs[3]!, (Tensor)inputs[4]!, TKernel.BucketSize), (Tensor)inputs[5]!, (bool)inputs[6]!);
}
