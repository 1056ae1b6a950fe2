using XformerDsl.Attention.Full;
using XformerDsl.Kernels;
using XformerDsl.Modules;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Patterns;

/// <summary>
/// The step state of one causal pattern layer (local, sliding window, sparse, BigBird, axial): the keys and values its
/// pattern can still read, each in the slot <see cref="PatternStep"/> gives its position, <c>[batch, heads, slots,
/// headDim]</c>. A new token writes its key and value at its position's slot (overwriting a key no later query reads)
/// and its query attends the slots holding the keys its pattern sees: in one loop on the CPU
/// (<see cref="KeyValueSlots.StepInPlace"/>), elsewhere through <see cref="FullAttentionReference"/>.
/// A sliding window's cache is a ring of constant size; the others hold what their pattern keeps readable.
/// </summary>
public sealed class PatternKeyValueCache : ILayerState
{
    private readonly PatternStep _pattern;
    private readonly KeyValueSlots _slots;

    /// <summary>An empty cache for <paramref name="batch"/> sequences.</summary>
    public PatternKeyValueCache(long batch, PatternStep pattern, int headDim, Device device, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        _pattern = pattern;
        _slots = new KeyValueSlots(batch, pattern.Heads, headDim, pattern.Capacity, device, dtype);
    }

    /// <summary>Slots held now (at most <see cref="PatternStep.Capacity"/>).</summary>
    public long Capacity => _slots.Capacity;

    /// <summary>Elements held.</summary>
    public long Elements => _slots.Elements;

    /// <summary>
    /// Writes each sequence's new key and value at its position's slot and returns the attention of its new query over
    /// the keys its pattern sees, <c>[batch, heads, 1, headDim]</c>.
    /// </summary>
    /// <param name="query">q, <c>[batch, heads, 1, headDim]</c>.</param>
    /// <param name="key">k, <c>[batch, heads, 1, headDim]</c>.</param>
    /// <param name="value">v, <c>[batch, heads, 1, headDim]</c>.</param>
    /// <param name="positions">Each sequence's position, int64 <c>[batch]</c>, below MaxLength.</param>
    public Tensor Step(Tensor query, Tensor key, Tensor value, Tensor positions)
    {
        _slots.CheckStep(query, key, value, nameof(PatternKeyValueCache));
        using var scope = NewDisposeScope();
        var at = TensorMemory.CopyToArray<long>(positions);
        var slots = at.Select(position => (long)_pattern.SlotOf((int)position)).ToArray();
        _slots.Reserve(slots);
        // Which slots each sequence's query reads, per head: the pattern at the sequence's own position.
        long batch = at.Length, heads = _pattern.Heads, capacity = _slots.Capacity;
        int entries = (int)(batch * heads * capacity);
        var visible = System.Buffers.ArrayPool<bool>.Shared.Rent(entries);
        try
        {
            Array.Clear(visible, 0, entries);
            for (int b = 0; b < batch; b++)
                _pattern.MarkVisible((int)at[b], visible.AsSpan((int)(b * heads * capacity), (int)(heads * capacity)), (int)capacity);
            return _slots.Step(query, key, value, slots, visible.AsSpan(0, entries), (int)capacity).MoveToOuterDisposeScope();
        }
        finally
        {
            System.Buffers.ArrayPool<bool>.Shared.Return(visible);
        }
    }

    /// <summary>Sequence b takes the cache of sequence <c>batchIndices[b]</c> (beam search).</summary>
    /// <param name="batchIndices">Int64 <c>[batch]</c>, values in [0, batch).</param>
    public void Reorder(Tensor batchIndices) => _slots.Reorder(batchIndices, nameof(PatternKeyValueCache));

    /// <summary>Frees the tensors.</summary>
    public void Dispose() => _slots.Dispose();
}
