using TorchSharp.Modules;
using static TorchSharp.torch;

namespace XformerDsl.Modules;

/// <summary>
/// The Compressive Transformer's attention-reconstruction loss (Rae et al., 2020, §3.2 and Algorithm 2): how far a
/// layer's attention over compressed slots is from its attention over the memory positions they replace, for the
/// segment's queries. It trains the compression function and nothing else: the queries, the replaced positions and the
/// layer's attention parameters are constants to it (the paper's stop-gradients).
/// </summary>
/// <remarks>
/// The constants are enforced by construction rather than by detaching each parameter inside the layer: the loss is
/// computed with the layer as it is, its gradient is taken with respect to the slots alone (<c>autograd.grad</c>, which
/// accumulates into no parameter), and the returned tensor has the loss's value and, through the slots, exactly that
/// gradient. So whatever the layer contains (norms, biases, a fused kernel), the trainer's <c>backward</c> of it reaches
/// the compression's parameters and no other; a test checks every other parameter's gradient. (A published
/// implementation once computed its auxiliary loss on detached slots, so it updated no weight at all.)
/// </remarks>
public static class AttentionReconstruction
{
    /// <summary>
    /// The content attention the loss compares, per head and without positions or output projection:
    /// <c>softmax(q·kᵀ / √headDim)·v</c> with q from <paramref name="x"/> and k, v from <paramref name="context"/> through the
    /// layer's projections; every query sees every context row (they all precede the segment).
    /// </summary>
    /// <param name="x">The queries' input, <c>[batch, seq, dim]</c>.</param>
    /// <param name="context">The keys' and values' input, <c>[batch, rows, dim]</c>.</param>
    /// <param name="query">The layer's query projection.</param>
    /// <param name="key">The layer's key projection.</param>
    /// <param name="value">The layer's value projection.</param>
    /// <param name="heads">The layer's heads.</param>
    /// <returns><c>[batch, heads, seq, headDim]</c>.</returns>
    public static Tensor ContentAttention(Tensor x, Tensor context, Linear query, Linear key, Linear value, int heads)
    {
        long batch = x.shape[0], seq = x.shape[1], rows = context.shape[1];
        using var scope = NewDisposeScope();
        var q = query.forward(x).view(batch, seq, heads, -1).transpose(1, 2);                             // [batch, heads, seq, headDim]
        var k = key.forward(context).view(batch, rows, heads, -1).transpose(1, 2);                        // [batch, heads, rows, headDim]
        var v = value.forward(context).view(batch, rows, heads, -1).transpose(1, 2);
        var weights = (q.matmul(k.transpose(-2, -1)) / Math.Sqrt(q.shape[3])).softmax(-1);
        return weights.matmul(v).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The mean squared difference between <c>attend(evicted)</c> and <c>attend(compressed)</c>, as a tensor whose
    /// gradient reaches <paramref name="compressed"/> (and through it the compression function) and nothing else.
    /// Call it with gradients enabled.
    /// </summary>
    /// <param name="attend">The layer's content attention of the segment's queries over a context, <c>[batch, rows, dim]</c> → any shape.</param>
    /// <param name="evicted">The positions that left the memory, <c>[batch, groups · ratio, dim]</c>.</param>
    /// <param name="compressed">Their slots as the compression function made them, <c>[batch, groups, dim]</c>, with its gradient history.</param>
    /// <returns>A scalar.</returns>
    public static Tensor Loss(Func<Tensor, Tensor> attend, Tensor evicted, Tensor compressed)
    {
        ArgumentNullException.ThrowIfNull(attend);
        using var scope = NewDisposeScope();
        Tensor target;
        using (no_grad())
            target = attend(evicted.detach());
        // The loss over a leaf copy of the slots, differentiated with respect to that copy alone.
        var slots = compressed.detach().requires_grad_(true);
        Tensor loss, gradient;
        using (enable_grad())
        {
            loss = nn.functional.mse_loss(attend(slots), target);
            gradient = autograd.grad(new[] { loss }, new[] { slots })[0];
        }
        // loss's value, and d/d(compressed) = gradient: the surrogate term is zero but carries the gradient.
        var surrogate = (compressed * gradient).sum();
        return (loss.detach() + surrogate - surrogate.detach()).MoveToOuterDisposeScope();
    }
}
