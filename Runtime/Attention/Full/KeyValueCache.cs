using static TorchSharp.torch;

namespace XformerDsl.Attention.Full;

/// <summary>
/// The key-value cache of one causal softmax attention layer for recurrent inference: every sequence's keys and values
/// so far, <c>[batch, heads, capacity, headDim]</c>, with the capacity doubled when a sequence reaches it. A new token
/// writes its key and value at its sequence's position and its query attends keys 0..position, through
/// <see cref="FullAttentionReference"/>. Memory grows with the position, unlike linear attention's state.
/// </summary>
public sealed class KeyValueCache : XformerDsl.Modules.ILayerState
{
    private Tensor _keys, _values;

    /// <summary>An empty cache for <paramref name="batch"/> sequences.</summary>
    public KeyValueCache(long batch, int heads, int headDim, int maxLength, Device device, ScalarType dtype)
    {
        MaxLength = maxLength;
        long capacity = Math.Min(maxLength, 64);
        _keys = zeros(new long[] { batch, heads, capacity, headDim }, dtype, device).DetachFromDisposeScope();
        _values = zeros(new long[] { batch, heads, capacity, headDim }, dtype, device).DetachFromDisposeScope();
    }

    /// <summary>The longest sequence the cache will hold.</summary>
    public int MaxLength { get; }

    /// <summary>Positions the cache holds now, per sequence.</summary>
    public long Capacity => _keys.shape[2];

    /// <summary>Elements held.</summary>
    public long Elements => _keys.numel() + _values.numel();

    /// <summary>
    /// Writes each sequence's new key and value at its position and returns the attention of its new query over keys
    /// 0..position, <c>[batch, heads, 1, headDim]</c>.
    /// </summary>
    /// <param name="query">q, <c>[batch, heads, 1, headDim]</c>.</param>
    /// <param name="key">k, <c>[batch, heads, 1, headDim]</c>.</param>
    /// <param name="value">v, <c>[batch, heads, 1, headDim]</c>.</param>
    /// <param name="positions">Each sequence's position, int64 <c>[batch]</c>.</param>
    public Tensor Step(Tensor query, Tensor key, Tensor value, Tensor positions)
    {
        if (!key.shape.SequenceEqual(new[] { _keys.shape[0], _keys.shape[1], 1L, _keys.shape[3] }) || !value.shape.SequenceEqual(key.shape) || !query.shape.SequenceEqual(key.shape))
            throw new ArgumentException(
                $"KeyValueCache.Step: expected q, k, v [{_keys.shape[0]}, {_keys.shape[1]}, 1, {_keys.shape[3]}]; got {AttentionShapes.Shape(query)}, {AttentionShapes.Shape(key)}, {AttentionShapes.Shape(value)}.");
        using var scope = NewDisposeScope();
        long length = positions.max().item<long>() + 1;
        if (length > Capacity)
            Grow(Math.Min(MaxLength, Math.Max(length, 2 * Capacity)));
        // Each sequence writes at its own position: scatter along the position axis.
        var at = positions.view(-1, 1, 1, 1).expand(key.shape);
        _keys.scatter_(2, at, key);
        _values.scatter_(2, at, value);
        var keys = _keys.narrow(2, 0, length);
        var values = _values.narrow(2, 0, length);
        // The new query sees keys 0..its position: a padding mask over the cached positions.
        var visible = arange(length, device: positions.device).unsqueeze(0) <= positions.unsqueeze(1);
        return FullAttentionReference.Forward(query, keys, values, causal: false, visible).MoveToOuterDisposeScope();
    }

    /// <summary>Sequence b takes the keys and values of sequence <c>batchIndices[b]</c> (beam search).</summary>
    /// <param name="batchIndices">Int64 <c>[batch]</c>, values in [0, batch).</param>
    public void Reorder(Tensor batchIndices)
    {
        using var scope = NewDisposeScope();
        var indices = XformerDsl.Modules.BatchIndices.Check(batchIndices, _keys.shape[0], _keys.device, nameof(KeyValueCache));
        var keys = _keys.index_select(0, indices).DetachFromDisposeScope();
        var values = _values.index_select(0, indices).DetachFromDisposeScope();
        _keys.Dispose();
        _values.Dispose();
        _keys = keys;
        _values = values;
    }

    private void Grow(long capacity)
    {
        var shape = new[] { _keys.shape[0], _keys.shape[1], capacity, _keys.shape[3] };
        var keys = zeros(shape, _keys.dtype, _keys.device).DetachFromDisposeScope();
        var values = zeros(shape, _values.dtype, _values.device).DetachFromDisposeScope();
        keys.narrow(2, 0, Capacity).copy_(_keys);
        values.narrow(2, 0, Capacity).copy_(_values);
        _keys.Dispose();
        _values.Dispose();
        _keys = keys;
        _values = values;
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        _keys.Dispose();
        _values.Dispose();
    }
}
