using static TorchSharp.torch;

namespace XformerDsl.Modules;

/// <summary>
/// The cross-attention keys and values of one decoder layer, <c>[batch, heads, sourceSeq, headDim]</c>, computed once from
/// the encoded source when the <see cref="DecoderState"/> is created. Owns both tensors.
/// </summary>
public sealed class CrossAttentionKeyValues : ILayerState
{
    /// <summary>Takes ownership of <paramref name="keys"/> and <paramref name="values"/>.</summary>
    /// <param name="keys">K, <c>[batch, heads, sourceSeq, headDim]</c>.</param>
    /// <param name="values">V, the same shape as the keys.</param>
    /// <exception cref="ArgumentException">The keys are not 4-D or the values have another shape.</exception>
    public CrossAttentionKeyValues(Tensor keys, Tensor values)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(values);
        if (keys.dim() != 4 || !keys.shape.SequenceEqual(values.shape))
            throw new ArgumentException(
                $"CrossAttentionKeyValues: keys and values must both be [batch, heads, sourceSeq, headDim]; got {ModelInputs.Shape(keys)} and {ModelInputs.Shape(values)}.");
        Keys = keys.DetachFromDisposeScope();
        Values = values.DetachFromDisposeScope();
    }

    /// <summary>K, <c>[batch, heads, sourceSeq, headDim]</c>.</summary>
    public Tensor Keys { get; private set; }

    /// <summary>V, <c>[batch, heads, sourceSeq, headDim]</c>.</summary>
    public Tensor Values { get; private set; }

    /// <inheritdoc/>
    public long Elements => Keys.numel() + Values.numel();

    /// <inheritdoc/>
    public void Reorder(Tensor batchIndices)
    {
        using var scope = NewDisposeScope();
        var indices = BatchIndices.Check(batchIndices, Keys.shape[0], Keys.device, nameof(CrossAttentionKeyValues));
        var keys = Keys.index_select(0, indices).DetachFromDisposeScope();
        var values = Values.index_select(0, indices).DetachFromDisposeScope();
        Keys.Dispose();
        Values.Dispose();
        Keys = keys;
        Values = values;
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        Keys.Dispose();
        Values.Dispose();
    }
}

/// <summary>
/// The state of <see cref="IEncoderDecoderModel.Step"/>: the decoder's self-attention state (a <see cref="RecurrentState"/>
/// with each sequence's position and each layer's key-value cache), each decoder layer's cross-attention keys and values
/// (computed once from the encoded source, <see cref="CrossKeyValues"/>) and the source padding mask the cross-attention
/// applies. <see cref="Reorder"/> moves all of them together, as beam search needs.
/// </summary>
public sealed class DecoderState : IDisposable
{
    private readonly Dictionary<int, CrossAttentionKeyValues> _cross = new();
    private Tensor? _sourcePaddingMask;

    /// <summary>
    /// A state over <paramref name="selfAttention"/> (which it takes ownership of) for the source <paramref name="encoded"/>;
    /// keeps its own copy of the source padding mask, so <paramref name="encoded"/> may be disposed afterwards.
    /// </summary>
    /// <param name="selfAttention">The decoder's self-attention state at position 0, with one sequence per encoded source.</param>
    /// <param name="encoded">The encoded source.</param>
    /// <exception cref="ArgumentException">The two batch sizes differ.</exception>
    public DecoderState(RecurrentState selfAttention, EncodedSource encoded)
    {
        ArgumentNullException.ThrowIfNull(selfAttention);
        ArgumentNullException.ThrowIfNull(encoded);
        if (selfAttention.Batch != encoded.Batch)
            throw new ArgumentException(
                $"DecoderState: the self-attention state holds {selfAttention.Batch} sequences but the encoded source {encoded.Batch} (output {ModelInputs.Shape(encoded.Output)}); create both for the same batch.");
        SelfAttention = selfAttention;
        SourceLength = encoded.SourceLength;
        _sourcePaddingMask = encoded.PaddingMask?.clone().DetachFromDisposeScope();
    }

    /// <summary>The decoder's self-attention state: positions and each layer's state (<see cref="RecurrentState.Layer{TState}"/>).</summary>
    public RecurrentState SelfAttention { get; }

    /// <summary>Sequences in the batch.</summary>
    public long Batch => SelfAttention.Batch;

    /// <summary>Source length (padded): the keys cross-attention sees.</summary>
    public long SourceLength { get; }

    /// <summary>Bool <c>[batch, sourceSeq]</c>, true for real source tokens; null when the source has no padding.</summary>
    public Tensor? SourcePaddingMask => _sourcePaddingMask;

    /// <summary>
    /// The cross-attention keys and values of decoder layer <paramref name="layer"/>, made by <paramref name="create"/> on
    /// first use (normally in <see cref="IEncoderDecoderModel.CreateDecoderState"/>, from the encoder output) and kept until
    /// <see cref="Dispose"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The keys made do not have this state's batch and source length.</exception>
    public CrossAttentionKeyValues CrossKeyValues(int layer, Func<DecoderState, CrossAttentionKeyValues> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        if (_cross.TryGetValue(layer, out var held))
            return held;
        var made = create(this);
        if (made.Keys.shape[0] != Batch || made.Keys.shape[2] != SourceLength)
        {
            var shape = ModelInputs.Shape(made.Keys);
            made.Dispose();
            throw new ArgumentException(
                $"DecoderState.CrossKeyValues: layer {layer}'s keys are {shape}, but this state needs [batch = {Batch}, heads, sourceSeq = {SourceLength}, headDim]; compute them from the encoded source the state was created from.");
        }
        _cross[layer] = made;
        return made;
    }

    /// <summary>
    /// Reorders the sequences (beam search): sequence b takes the positions, self-attention states, cross-attention keys
    /// and values and source padding mask that sequence <c>batchIndices[b]</c> had. The batch size stays; call it between steps.
    /// </summary>
    /// <param name="batchIndices">Integer <c>[batch]</c>, values in [0, batch), repeats allowed.</param>
    /// <exception cref="ArgumentException">The indices are not <c>[batch]</c> or out of range.</exception>
    public void Reorder(Tensor batchIndices)
    {
        using var scope = NewDisposeScope();
        var indices = BatchIndices.Check(batchIndices, Batch, SelfAttention.Device, nameof(DecoderState));
        SelfAttention.Reorder(indices);
        foreach (var cross in _cross.Values)
            cross.Reorder(indices);
        if (_sourcePaddingMask is not null)
        {
            var mask = _sourcePaddingMask.index_select(0, indices).DetachFromDisposeScope();
            _sourcePaddingMask.Dispose();
            _sourcePaddingMask = mask;
        }
    }

    /// <summary>Elements held: the self-attention state, the cross-attention keys and values and the padding mask.</summary>
    public long Elements => SelfAttention.Elements + _cross.Values.Sum(c => c.Elements) + (_sourcePaddingMask?.numel() ?? 0);

    /// <summary>Frees the tensors, the self-attention state's included.</summary>
    public void Dispose()
    {
        SelfAttention.Dispose();
        foreach (var cross in _cross.Values)
            cross.Dispose();
        _sourcePaddingMask?.Dispose();
    }
}
