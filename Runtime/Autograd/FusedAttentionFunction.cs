using static TorchSharp.torch;

namespace XformerDsl.Autograd;

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
