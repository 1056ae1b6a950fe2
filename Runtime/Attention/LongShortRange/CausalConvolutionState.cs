using static TorchSharp.torch;

namespace XformerDsl.Attention.LongShortRange;

/// <summary>
/// A causal convolution stepping through generation, one position per call: per sequence the last K − 1 inputs (zeros
/// before the first, as the parallel form's padding), so <see cref="Step"/> equals the causal convolution over the whole
/// sequence at that position, with memory that does not grow. Serves lightweight (one <c>[heads, K]</c> kernel) and
/// dynamic (this position's <c>[batch, heads, K]</c> kernel) convolution alike.
/// </summary>
public sealed class CausalConvolutionState : XformerDsl.Modules.ILayerState
{
    private readonly int _heads;

    /// <summary>A state for <paramref name="batch"/> sequences that have seen nothing yet.</summary>
    /// <exception cref="ArgumentException">When heads do not divide channels, or the kernel size is below 1.</exception>
    public CausalConvolutionState(long batch, int channels, int heads, int kernelSize, Device device, ScalarType dtype)
    {
        ConvolutionPadding.Validate(kernelSize, causal: true);
        if (heads < 1 || channels % heads != 0)
            throw new ArgumentException($"{nameof(CausalConvolutionState)}: heads ({heads}) must divide channels ({channels}).", nameof(heads));
        _heads = heads;
        KernelSize = kernelSize;
        Inputs = zeros(new long[] { batch, kernelSize - 1, channels }, dtype, device).DetachFromDisposeScope();
    }

    /// <summary>K, the taps of the kernel.</summary>
    public int KernelSize { get; }

    /// <summary>The last K − 1 inputs of each sequence, oldest first, <c>[batch, K − 1, channels]</c>.</summary>
    public Tensor Inputs { get; }

    /// <summary>Elements held.</summary>
    public long Elements => Inputs.numel();

    /// <summary>
    /// Takes one input per sequence (for the <paramref name="active"/> ones) and returns the convolution at its position,
    /// <c>y_t[b, c] = Σ_k w[c / R, k] · x[b, t + k − K + 1, c] (+ bias[c])</c>, <c>[batch, channels]</c>. A sequence that
    /// is not active keeps its state, as if this step had not happened; its output is computed but means nothing.
    /// </summary>
    /// <param name="input">x_t, <c>[batch, channels]</c>, zero for a padding token.</param>
    /// <param name="weights">Lightweight: <c>[heads, K]</c>; dynamic: this position's <c>[batch, heads, K]</c>; normalised.</param>
    /// <param name="bias">Null, or <c>[channels]</c>.</param>
    /// <param name="active">Null, or bool <c>[batch]</c>: sequences that take this token.</param>
    public Tensor Step(Tensor input, Tensor weights, Tensor? bias = null, Tensor? active = null)
    {
        long batch = Inputs.shape[0], channels = Inputs.shape[2];
        bool shared = weights.dim() == 2;
        if (input.dim() != 2 || input.shape[0] != batch || input.shape[1] != channels
            || !(shared ? weights.shape.SequenceEqual(new long[] { _heads, KernelSize }) : weights.shape.SequenceEqual(new long[] { batch, _heads, KernelSize }))
            || (bias is not null && !bias.shape.SequenceEqual(new[] { channels }))
            || (active is not null && !active.shape.SequenceEqual(new[] { batch })))
            throw new ArgumentException(
                $"{nameof(CausalConvolutionState)}.{nameof(Step)}: expected x_t [{batch}, {channels}], weights [{_heads}, {KernelSize}] (lightweight) or [{batch}, {_heads}, {KernelSize}] (dynamic), " +
                $"bias [{channels}] or null, active [{batch}] or null; got x_t {ConvolutionShapes.Shape(input)}, weights {ConvolutionShapes.Shape(weights)}" +
                $"{(bias is null ? "" : ", bias " + ConvolutionShapes.Shape(bias))}{(active is null ? "" : ", active " + ConvolutionShapes.Shape(active))}.");
        using var scope = NewDisposeScope();
        var window = cat([Inputs, input.unsqueeze(1)], 1);                                         // [batch, K, channels], oldest first
        var perHead = window.view(batch, KernelSize, _heads, channels / _heads);                    // [batch, K, heads, R]
        var taps = (shared ? weights.unsqueeze(0) : weights).transpose(1, 2).unsqueeze(-1);         // [batch or 1, K, heads, 1]
        var output = (perHead * taps).sum(1).reshape(batch, channels);                              // [batch, channels]
        if (bias is not null)
            output = output + bias;
        var kept = window.narrow(1, 1, KernelSize - 1);                                             // drop the oldest
        if (active is not null)
            kept = where(active.to(ScalarType.Bool).view(-1, 1, 1), kept, Inputs);
        Inputs.copy_(kept);
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Sequence b takes the last inputs of sequence <c>batchIndices[b]</c> (beam search keeps, drops and duplicates
    /// hypotheses), in place; the batch size stays.
    /// </summary>
    /// <param name="batchIndices">Int64 <c>[batch]</c>, values in [0, batch), repeats allowed (see <see cref="XformerDsl.Modules.BatchIndices.Check"/>).</param>
    /// <exception cref="ArgumentException">When the indices are not an integer <c>[batch]</c> tensor with values in range.</exception>
    public void Reorder(Tensor batchIndices)
    {
        using var scope = NewDisposeScope();
        var indices = XformerDsl.Modules.BatchIndices.Check(batchIndices, Inputs.shape[0], Inputs.device, nameof(CausalConvolutionState));
        Inputs.copy_(Inputs.index_select(0, indices));
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose() => Inputs.Dispose();
}
