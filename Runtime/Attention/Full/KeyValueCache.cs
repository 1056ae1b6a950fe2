using XformerDsl.Kernels;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Full;

/// <summary>
/// The key-value cache of one causal softmax attention layer for recurrent inference: every sequence's keys and values
/// so far, <c>[batch, heads, capacity, headDim]</c>, with the capacity doubled when a sequence reaches it. A new token
/// writes its key and value at its sequence's position and its query attends keys 0..position: in one loop on the CPU
/// (<see cref="KeyValueSlots.StepInPlace"/>), elsewhere through <see cref="FullAttentionReference"/>. Memory grows with
/// the position, unlike linear attention's state.
/// </summary>
public sealed class KeyValueCache : XformerDsl.Modules.ILayerState
{
    private readonly KeyValueSlots _slots;

    /// <summary>An empty cache for <paramref name="batch"/> sequences.</summary>
    public KeyValueCache(long batch, int heads, int headDim, int maxLength, Device device, ScalarType dtype) =>
        _slots = new KeyValueSlots(batch, heads, headDim, maxLength, device, dtype);

    /// <summary>The longest sequence the cache will hold.</summary>
    public int MaxLength => _slots.Limit;

    /// <summary>Positions the cache holds now, per sequence.</summary>
    public long Capacity => _slots.Capacity;

    /// <summary>Elements held.</summary>
    public long Elements => _slots.Elements;

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
        _slots.CheckStep(query, key, value, nameof(KeyValueCache));
        using var scope = NewDisposeScope();
        if (_slots.CanStepInPlace(query, key, value) && positions.device_type == TorchSharp.DeviceType.CPU)
        {
            var at = TensorMemory.CopyToArray<long>(positions);
            int width = (int)at.Max() + 1, heads = (int)query.shape[1];
            // Query b sees its keys 0..position, on every head.
            int entries = at.Length * heads * width;
            var seen = System.Buffers.ArrayPool<bool>.Shared.Rent(entries);
            try
            {
                Array.Clear(seen, 0, entries);
                for (int row = 0; row < at.Length * heads; row++)
                    seen.AsSpan(row * width, (int)at[row / heads] + 1).Fill(true);
                return _slots.StepInPlace(query, key, value, at, seen.AsSpan(0, entries), width).MoveToOuterDisposeScope();
            }
            finally
            {
                System.Buffers.ArrayPool<bool>.Shared.Return(seen);
            }
        }
        _slots.Write(positions, key, value);
        long length = positions.max().item<long>() + 1;
        // The new query sees keys 0..its position: a padding mask over the cached positions.
        var visible = arange(length, device: positions.device).unsqueeze(0) <= positions.unsqueeze(1);
        return FullAttentionReference.Forward(query, _slots.Keys(length), _slots.Values(length), causal: false, visible).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// As <see cref="Step(Tensor, Tensor, Tensor, Tensor)"/>, with a score bias added to each score (a synthesizer's
    /// synthetic logits); without a query and key, the bias alone is the scores (a pure synthesizer), and the cache's
    /// key slots hold the values, unread.
    /// </summary>
    /// <param name="query">q, <c>[batch, heads, 1, headDim]</c>, or null.</param>
    /// <param name="key">k, null exactly when <paramref name="query"/> is.</param>
    /// <param name="value">v, <c>[batch, heads, 1, headDim]</c>.</param>
    /// <param name="positions">Each sequence's position, int64 <c>[batch]</c>.</param>
    /// <param name="scoreBias">Each new query's bias over the positions, <c>[batch, heads, 1, n]</c> with n above every position.</param>
    public Tensor Step(Tensor? query, Tensor? key, Tensor value, Tensor positions, Tensor scoreBias)
    {
        _slots.CheckStep(query ?? value, key ?? value, value, nameof(KeyValueCache));
        using var scope = NewDisposeScope();
        _slots.Write(positions, key ?? value, value);
        long length = positions.max().item<long>() + 1;
        var visible = arange(length, device: positions.device).unsqueeze(0) <= positions.unsqueeze(1);
        var keys = query is null ? null : _slots.Keys(length);
        return FullAttentionReference.WithScoreBias(query, keys, _slots.Values(length), scoreBias.narrow(-1, 0, length), causal: false, visible)
            .MoveToOuterDisposeScope();
    }

    /// <summary>Sequence b takes the keys and values of sequence <c>batchIndices[b]</c> (beam search).</summary>
    /// <param name="batchIndices">Int64 <c>[batch]</c>, values in [0, batch).</param>
    public void Reorder(Tensor batchIndices) => _slots.Reorder(batchIndices, nameof(KeyValueCache));

    /// <summary>Frees the tensors.</summary>
    public void Dispose() => _slots.Dispose();
}
