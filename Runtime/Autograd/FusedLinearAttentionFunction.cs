using static TorchSharp.torch;

namespace XformerDsl.Autograd;

/// <summary>
/// The autograd node of a fused linear attention kernel: forward saves the inputs, the output and the normalisers
/// (O(seq) extra memory); backward runs the generated backward kernel.
/// </summary>
/// <typeparam name="TKernel">The generated kernel.</typeparam>
public sealed class FusedLinearAttentionFunction<TKernel> : FusedKernelFunction<FusedLinearAttentionFunction<TKernel>>
    where TKernel : IFusedLinearAttentionKernel
{
    /// <inheritdoc/>
    public override string Name => "FusedLinearAttention";

    /// <summary>Inputs: φ(Q), φ(K), V, key padding mask (or null). Output: <c>[batch, heads, seq, headDim]</c>; residual: the normalisers.</summary>
    protected override (List<Tensor> Outputs, List<Tensor> Residuals) Forward(object?[] inputs)
    {
        var (output, normaliser) = FusedLinearAttention<TKernel>.RunForward((Tensor)inputs[0]!, (Tensor)inputs[1]!, (Tensor)inputs[2]!, inputs[3] as Tensor);
        return ([output], [normaliser]);
    }

    /// <summary>The gradients of φ(Q), φ(K) and V; none for the mask.</summary>
    protected override List<Tensor> Backward(object?[] inputs, List<Tensor> outputs, List<Tensor> residuals, List<Tensor> outputGradients)
    {
        var (query, key, value) = FusedLinearAttention<TKernel>.RunBackward((Tensor)inputs[0]!, (Tensor)inputs[1]!, (Tensor)inputs[2]!,
            outputs[0], residuals[0], inputs[3] as Tensor, outputGradients[0]);
        return [query, key, value, null!];
    }
}
