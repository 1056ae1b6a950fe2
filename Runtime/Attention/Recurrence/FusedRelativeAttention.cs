using XformerDsl.Autograd;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Recurrence;

/// <summary>
/// Runs a generated Transformer-XL kernel: checks the tensors, takes the reference path for tensors the kernel does not
/// serve, and otherwise runs the kernel through autograd. The kernel scores <c>(q + u)·k + (q + v)·P[t]</c>: the two
/// sums are formed here (two <c>[batch, heads, queries, headDim]</c> additions), so autograd carries their gradients
/// to q, u and v; the kernel returns the gradients of the keys, values, both sums and the position rows P, whose
/// gradient reaches W_R through the projection that made them.
/// </summary>
/// <typeparam name="TKernel">The generated kernel.</typeparam>
public static class FusedRelativeAttention<TKernel> where TKernel : IFusedRelativeAttentionKernel
{
    /// <summary>
    /// <c>softmax(((q + u)·kᵀ + gather((q + v)·Pᵀ)) / √headDim + mask)·v</c>, as
    /// <see cref="RelativeAttentionReference.Forward"/> with <c>causal: true</c> and the kernel's window. Returns
    /// <c>[batch, heads, queries, headDim]</c>, laid out as <c>[batch, queries, heads, headDim]</c> in memory.
    /// </summary>
    /// <param name="query">The segment's queries, <c>[batch, heads, queries, headDim]</c>.</param>
    /// <param name="key">Keys of the memory then the segment, <c>[batch, heads, keys, headDim]</c>.</param>
    /// <param name="value">Values, as the keys.</param>
    /// <param name="contentBias">u, <c>[heads, headDim]</c>.</param>
    /// <param name="positionBias">v, <c>[heads, headDim]</c>.</param>
    /// <param name="positions">The projected distance rows, <c>[heads, keys, headDim]</c> (<see cref="RelativePositions"/>, causal).</param>
    /// <param name="keyPaddingMask">Null, or bool <c>[batch, keys]</c>, true for real keys.</param>
    /// <exception cref="ArgumentException">When the shapes disagree.</exception>
    public static Tensor Apply(Tensor query, Tensor key, Tensor value, Tensor contentBias, Tensor positionBias, Tensor positions,
        Tensor? keyPaddingMask)
    {
        FusedAttention<TKernel>.CheckInputs(query, key, value, keyPaddingMask);
        long heads = query.shape[1], keys = key.shape[2];
        if (key.shape[2] < query.shape[2])
            throw new ArgumentException($"{TKernel.Description}: the keys are the memory then the segment, so there are at least as many as queries; got {query.shape[2]} queries and {keys} keys.");
        foreach (var (bias, name) in new[] { (contentBias, "contentBias (u)"), (positionBias, "positionBias (v)") })
        {
            if (bias.dim() != 2 || bias.shape[0] != heads || bias.shape[1] != TKernel.HeadDim)
                throw new ArgumentException($"{TKernel.Description}: {name} must be [heads, headDim] = [{heads}, {TKernel.HeadDim}]; got {AttentionShapes.Shape(bias)}.");
        }
        if (positions.dim() != 3 || positions.shape[0] != heads || positions.shape[1] != keys || positions.shape[2] != TKernel.HeadDim)
            throw new ArgumentException(
                $"{TKernel.Description}: positions must be [heads, keys, headDim] = [{heads}, {keys}, {TKernel.HeadDim}]; got {AttentionShapes.Shape(positions)}. " +
                "Project RelativePositions.Table(queries, keys, causal: true, ...) and split it into heads.");
        Tensor?[] learned = [contentBias, positionBias, positions];
        if (FusedAttention<TKernel>.WhyNotFused(query, key, value, keyPaddingMask) is not null ||
            learned.Any(t => t!.device_type != query.device_type || t.dtype != query.dtype))
            return TKernel.Reference(query, key, value, contentBias, positionBias, positions, keyPaddingMask);
        using var scope = NewDisposeScope();
        var contentQuery = query + contentBias.unsqueeze(1);
        var positionQuery = query + positionBias.unsqueeze(1);
        var output = FusedRelativeAttentionFunction<TKernel>.Run(contentQuery, key, value, keyPaddingMask, positionQuery, positions)[0];
        return output.transpose(1, 2).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The autograd node of a fused Transformer-XL kernel: forward saves the inputs, the output and the log-sum-exp; backward
/// returns the gradients of the content queries, keys, values, position queries and position rows.
/// </summary>
/// <typeparam name="TKernel">The generated kernel.</typeparam>
public sealed class FusedRelativeAttentionFunction<TKernel> : FusedKernelFunction<FusedRelativeAttentionFunction<TKernel>>
    where TKernel : IFusedRelativeAttentionKernel
{
    /// <inheritdoc/>
    public override string Name => "FusedRelativeAttention";

    /// <summary>Inputs: content queries q + u, keys, values, key padding mask (or null), position queries q + v, position rows.</summary>
    protected override (List<Tensor> Outputs, List<Tensor> Residuals) Forward(object?[] inputs)
    {
        var (output, logSumExp) = FusedAttention<TKernel>.RunForward((Tensor)inputs[0]!, (Tensor)inputs[1]!, (Tensor)inputs[2]!, inputs[3] as Tensor,
            scoreBias: null, new FusedAttention<TKernel>.RelativeTerm((Tensor)inputs[4]!, (Tensor)inputs[5]!));
        return ([output], [logSumExp]);
    }

    /// <summary>The gradients of every tensor input but the mask.</summary>
    protected override List<Tensor> Backward(object?[] inputs, List<Tensor> outputs, List<Tensor> residuals, List<Tensor> outputGradients)
    {
        var gradients = FusedAttention<TKernel>.RunBackward((Tensor)inputs[0]!, (Tensor)inputs[1]!, (Tensor)inputs[2]!, outputs[0], residuals[0],
            inputs[3] as Tensor, outputGradients[0], scoreBias: null, new FusedAttention<TKernel>.RelativeTerm((Tensor)inputs[4]!, (Tensor)inputs[5]!));
        return [gradients.Query!, gradients.Key!, gradients.Value, null!, gradients.PositionQuery!, gradients.Positions!];
    }
}
