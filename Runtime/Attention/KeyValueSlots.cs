using static TorchSharp.torch;

namespace XformerDsl.Attention;

/// <summary>
/// The keys and values a stepping attention layer keeps, in slots: <c>[batch, heads, capacity, headDim]</c>, where each
/// sequence writes its new key and value at a slot of the caller's choosing (its position for a key-value cache, the
/// slot its pattern frees for a pattern's cache). The capacity doubles when a slot past it is written, up to
/// <see cref="Limit"/>, so a short generation holds little.
/// </summary>
internal sealed class KeyValueSlots : IDisposable
{
    private Tensor _keys, _values;

    /// <summary>Empty slots for <paramref name="batch"/> sequences, at most <paramref name="limit"/> of them.</summary>
    public KeyValueSlots(long batch, int heads, int headDim, int limit, Device device, ScalarType dtype)
    {
        Limit = limit;
        long capacity = Math.Min(limit, 64);
        _keys = zeros(new long[] { batch, heads, capacity, headDim }, dtype, device).DetachFromDisposeScope();
        _values = zeros(new long[] { batch, heads, capacity, headDim }, dtype, device).DetachFromDisposeScope();
    }

    /// <summary>The most slots there will ever be.</summary>
    public int Limit { get; }

    /// <summary>Slots held now.</summary>
    public long Capacity => _keys.shape[2];

    /// <summary>Elements held.</summary>
    public long Elements => _keys.numel() + _values.numel();

    /// <summary>The first <paramref name="count"/> slots' keys, <c>[batch, heads, count, headDim]</c> (a view).</summary>
    public Tensor Keys(long count) => _keys.narrow(2, 0, count);

    /// <summary>The first <paramref name="count"/> slots' values (a view).</summary>
    public Tensor Values(long count) => _values.narrow(2, 0, count);

    /// <summary>Checks that q, k and v are each <c>[batch, heads, 1, headDim]</c> of these slots.</summary>
    /// <exception cref="ArgumentException">Naming the three shapes and the expected one.</exception>
    public void CheckStep(Tensor query, Tensor key, Tensor value, string owner)
    {
        var expected = new[] { _keys.shape[0], _keys.shape[1], 1L, _keys.shape[3] };
        if (!key.shape.SequenceEqual(expected) || !value.shape.SequenceEqual(expected) || !query.shape.SequenceEqual(expected))
            throw new ArgumentException(
                $"{owner}.Step: expected q, k, v [{string.Join(", ", expected)}]; got {AttentionShapes.Shape(query)}, {AttentionShapes.Shape(key)}, {AttentionShapes.Shape(value)}.");
    }

    /// <summary>Writes each sequence's <c>[batch, heads, 1, headDim]</c> key and value at its slot, growing as needed.</summary>
    /// <param name="slots">Int64 <c>[batch]</c> on the slots' device, each below <see cref="Limit"/>.</param>
    /// <param name="key">The new keys.</param>
    /// <param name="value">The new values.</param>
    public void Write(Tensor slots, Tensor key, Tensor value)
    {
        using var scope = NewDisposeScope();
        long needed = slots.max().item<long>() + 1;
        if (needed > Capacity)
            Grow(Math.Min(Limit, Math.Max(needed, 2 * Capacity)));
        // Each sequence writes at its own slot: scatter along the slot axis.
        var at = slots.view(-1, 1, 1, 1).expand(key.shape);
        _keys.scatter_(2, at, key);
        _values.scatter_(2, at, value);
    }

    /// <summary>Sequence b takes the slots of sequence <c>batchIndices[b]</c> (beam search).</summary>
    public void Reorder(Tensor batchIndices, string owner)
    {
        using var scope = NewDisposeScope();
        var indices = XformerDsl.Modules.BatchIndices.Check(batchIndices, _keys.shape[0], _keys.device, owner);
        Replace(_keys.index_select(0, indices), _values.index_select(0, indices));
    }

    private void Grow(long capacity)
    {
        var shape = new[] { _keys.shape[0], _keys.shape[1], capacity, _keys.shape[3] };
        var keys = zeros(shape, _keys.dtype, _keys.device);
        var values = zeros(shape, _values.dtype, _values.device);
        keys.narrow(2, 0, Capacity).copy_(_keys);
        values.narrow(2, 0, Capacity).copy_(_values);
        Replace(keys, values);
    }

    private void Replace(Tensor keys, Tensor values)
    {
        keys.DetachFromDisposeScope();
        values.DetachFromDisposeScope();
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
