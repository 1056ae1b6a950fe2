using static TorchSharp.torch;

namespace XformerDsl.Autograd;

/// <summary>
/// The autograd node of a fused attention kernel with a score bias: as <see cref="FusedAttentionFunction{TKernel}"/>,
/// and the backward pass also returns the bias's gradient (in the bias's own shape).
/// </summary>
/// <typeparam name="TKernel">The generated kernel.</typeparam>
public sealed class FusedBiasedAttentionFunction<TKernel> : FusedKernelFunction<FusedBiasedAttentionFunction<TKernel>>
    where TKernel : IFusedBiasedAttentionKernel
{
    /// <inheritdoc/>
    public override string Name => "FusedBiasedAttention";

    /// <summary>Inputs: query and key (both null for a bias-only kernel), value, key padding mask (or null), score bias.</summary>
    protected override (List<Tensor> Outputs, List<Tensor> Residuals) Forward(object?[] inputs)
    {
        var (output, logSumExp) = FusedAttention<TKernel>.RunForward(inputs[0] as Tensor, inputs[1] as Tensor, (Tensor)inputs[2]!,
            inputs[3] as Tensor, (Tensor)inputs[4]!);
        return ([output], [logSumExp]);
    }

    /// <summary>The gradients of query and key (none when absent), value and score bias; none for the mask.</summary>
    protected override List<Tensor> Backward(object?[] inputs, List<Tensor> outputs, List<Tensor> residuals, List<Tensor> outputGradients)
    {
        var (query, key, value, scoreBias) = FusedAttention<TKernel>.RunBackward(inputs[0] as Tensor, inputs[1] as Tensor, (Tensor)inputs[2]!,
            outputs[0], residuals[0], inputs[3] as Tensor, outputGradients[0], (Tensor)inputs[4]!);
        return [query!, key!, value, null!, scoreBias!];
    }
}
