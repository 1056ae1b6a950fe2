using XformerDsl.Attention.Full;
using XformerDsl.Modules;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Compressed;

/// <summary>
/// The step state of one causal memory-compressed layer: the raw keys and values of each sequence's current slot
/// (<c>[batch, heads, ratio, headDim]</c>) and the slots compressed so far (one row each, growing with the position, a
/// Ratio-th of a key-value cache). A new token writes its key and value into its slot; the slot is compressed again
/// (cheap: one slot) and stored at its index, where it stays hidden until its last position has been written, as in
/// forward; the query attends the null key and every whole slot.
/// </summary>
public sealed class CompressedStepState : ILayerState
{
    private readonly int _ratio;
    private readonly KeyValueSlots _current, _compressed;

    /// <summary>An empty state for <paramref name="batch"/> sequences of at most <paramref name="maxLength"/> tokens.</summary>
    public CompressedStepState(long batch, int heads, int headDim, int ratio, int maxLength, Device device, ScalarType dtype)
    {
        _ratio = ratio;
        _current = new KeyValueSlots(batch, heads, headDim, ratio, device, dtype);
        _compressed = new KeyValueSlots(batch, heads, headDim, (maxLength + ratio - 1) / ratio, device, dtype);
    }

    /// <summary>Elements held.</summary>
    public long Elements => _current.Elements + _compressed.Elements;

    /// <summary>
    /// Adds each sequence's new key and value to its current slot and returns its new query's attention over the null
    /// key and the whole slots, <c>[batch, heads, 1, headDim]</c>.
    /// </summary>
    /// <param name="query">q, <c>[batch, heads, 1, headDim]</c>.</param>
    /// <param name="key">k, <c>[batch, heads, 1, headDim]</c>.</param>
    /// <param name="value">v, <c>[batch, heads, 1, headDim]</c>.</param>
    /// <param name="positions">Each sequence's position, int64 <c>[batch]</c>.</param>
    /// <param name="compressKeys">The layer's key compression of one slot's rows, <c>[batch, heads, ratio, headDim]</c> to one row.</param>
    /// <param name="compressValues">Its value compression.</param>
    /// <param name="nullKey">The null key, <c>[heads, headDim]</c>.</param>
    /// <param name="nullValue">The null value, <c>[heads, headDim]</c>.</param>
    public Tensor Step(Tensor query, Tensor key, Tensor value, Tensor positions,
        Func<Tensor, Tensor> compressKeys, Func<Tensor, Tensor> compressValues, Tensor nullKey, Tensor nullValue)
    {
        _current.CheckStep(query, key, value, nameof(CompressedStepState));
        using var scope = NewDisposeScope();
        var slot = positions.div(_ratio, rounding_mode: RoundingMode.floor);
        _current.Write(positions.remainder(_ratio), key, value);
        // Rows of the slot past the new position hold the previous slot's; the compressed row stays hidden until they are this slot's.
        _compressed.Write(slot, compressKeys(_current.Keys(_ratio)), compressValues(_current.Values(_ratio)));
        long slots = slot.max().item<long>() + 1;
        var keys = CompressedMemory.WithNullRow(_compressed.Keys(slots), nullKey);
        var values = CompressedMemory.WithNullRow(_compressed.Values(slots), nullValue);
        // Key j > 0 is slot j − 1, visible once its last position, j · ratio − 1, is at or before the query's.
        var index = arange(slots + 1, device: positions.device).unsqueeze(0);
        var visible = (index == 0).logical_or(index * _ratio - 1 <= positions.unsqueeze(1));
        return FullAttentionReference.Forward(query, keys, values, causal: false, visible).MoveToOuterDisposeScope();
    }

    /// <summary>Sequence b takes the state of sequence <c>batchIndices[b]</c> (beam search).</summary>
    public void Reorder(Tensor batchIndices)
    {
        _current.Reorder(batchIndices, nameof(CompressedStepState));
        _compressed.Reorder(batchIndices, nameof(CompressedStepState));
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        _current.Dispose();
        _compressed.Dispose();
    }
}
