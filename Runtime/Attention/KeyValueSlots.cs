using System.Numerics;
using System.Numerics.Tensors;
using XformerDsl.Kernels;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

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
    // The slots' shape, [_batch, _heads, Capacity, _headDim], kept here: a step asks for it several times per layer and
    // token, and each read of a tensor's shape is a native call that allocates.
    private readonly long _batch, _heads, _headDim;

    /// <summary>Empty slots for <paramref name="batch"/> sequences, at most <paramref name="limit"/> of them.</summary>
    public KeyValueSlots(long batch, int heads, int headDim, int limit, Device device, ScalarType dtype)
    {
        Limit = limit;
        (_batch, _heads, _headDim) = (batch, heads, headDim);
        Capacity = Math.Min(limit, 64);
        _keys = zeros(new long[] { batch, heads, Capacity, headDim }, dtype, device).DetachFromDisposeScope();
        _values = zeros(new long[] { batch, heads, Capacity, headDim }, dtype, device).DetachFromDisposeScope();
    }

    /// <summary>The most slots there will ever be.</summary>
    public int Limit { get; }

    /// <summary>Slots held now.</summary>
    public long Capacity { get; private set; }

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
        if (!IsStepShaped(query) || !IsStepShaped(key) || !IsStepShaped(value))
        {
            var expected = new[] { _batch, _heads, 1L, _headDim };
            throw new ArgumentException(
                $"{owner}.Step: expected q, k, v [{string.Join(", ", expected)}]; got {AttentionShapes.Shape(query)}, {AttentionShapes.Shape(key)}, {AttentionShapes.Shape(value)}.");
        }
    }

    private bool IsStepShaped(Tensor x) => x.dim() == 4 && x.size(0) == _batch && x.size(1) == _heads && x.size(2) == 1 && x.size(3) == _headDim;

    /// <summary>Writes each sequence's <c>[batch, heads, 1, headDim]</c> key and value at its slot, growing as needed.</summary>
    /// <param name="slots">Int64 <c>[batch]</c> on the slots' device, each below <see cref="Limit"/>.</param>
    /// <param name="key">The new keys.</param>
    /// <param name="value">The new values.</param>
    public void Write(Tensor slots, Tensor key, Tensor value)
    {
        using var scope = NewDisposeScope();
        Hold(slots.max().item<long>() + 1);
        // Each sequence writes at its own slot: scatter along the slot axis.
        var at = slots.view(-1, 1, 1, 1).expand(key.shape);
        _keys.scatter_(2, at, key);
        _values.scatter_(2, at, value);
    }

    /// <summary>
    /// True when <see cref="StepInPlace"/> can run: the slots and q, k, v on the CPU in float32 or float64, one dtype,
    /// nothing recording gradients.
    /// </summary>
    public bool CanStepInPlace(Tensor query, Tensor key, Tensor value) => TensorMemory.ComputableByCpuLoop(_keys, query, key, value);

    /// <summary>
    /// One decoding step in a loop over (sequence, head) instead of a dozen TorchSharp operations: writes each sequence's
    /// key and value at <c>slots[b]</c> and returns softmax(q kᵀ / √headDim) v over the slots
    /// <paramref name="visible"/> marks, <c>[batch, heads, 1, headDim]</c> (zeros where none is). At generation a step's
    /// arithmetic per head costs less than dispatching one operation, so the operations were the step's cost. Only where
    /// <see cref="CanStepInPlace"/> holds.
    /// </summary>
    /// <param name="query">q, <c>[batch, heads, 1, headDim]</c>, read in place.</param>
    /// <param name="key">k, as q.</param>
    /// <param name="value">v, as q.</param>
    /// <param name="slots">Each sequence's slot for its new key and value, below <see cref="Limit"/>.</param>
    /// <param name="visible">
    /// Which slots each (sequence, head)'s query reads, <c>[batch, heads, visibleWidth]</c> row-major; slots past
    /// <paramref name="visibleWidth"/> are not read.
    /// </param>
    /// <param name="visibleWidth">The slots each row of <paramref name="visible"/> covers, at most the capacity after the write.</param>
    public Tensor StepInPlace(Tensor query, Tensor key, Tensor value, ReadOnlySpan<long> slots, ReadOnlySpan<bool> visible, int visibleWidth)
    {
        foreach (long slot in slots)
            if (slot < 0 || slot >= Limit)
                throw new ArgumentOutOfRangeException(nameof(slots),
                    $"{nameof(KeyValueSlots)}: a sequence writes at slot {slot}, outside the {Limit} slots there are; a sequence at MaxLength cannot take another token.");
        Reserve(slots);
        if (visibleWidth > Capacity || visible.Length != _batch * _heads * visibleWidth)
            throw new ArgumentException($"{nameof(KeyValueSlots)}: the visible slots must be [batch, heads, width] = [{_batch}, {_heads}, width ≤ {Capacity}]; got {visible.Length} entries for width {visibleWidth}.");
        return _keys.dtype == ScalarType.Float32
            ? StepInPlace<float>(query, key, value, slots, visible, visibleWidth)
            : StepInPlace<double>(query, key, value, slots, visible, visibleWidth);
    }

    /// <summary>
    /// Writes each sequence's key and value at <c>slots[b]</c> and attends its query over the slots
    /// <paramref name="visible"/> marks: <see cref="StepInPlace"/> where <see cref="CanStepInPlace"/> holds, else the
    /// same through TorchSharp operations (a scatter and <see cref="Full.FullAttentionReference.WithVisibility"/>).
    /// </summary>
    /// <param name="query">q, <c>[batch, heads, 1, headDim]</c>.</param>
    /// <param name="key">k, as q.</param>
    /// <param name="value">v, as q.</param>
    /// <param name="slots">Each sequence's slot for its new key and value, below <see cref="Limit"/>.</param>
    /// <param name="visible">Which slots each (sequence, head)'s query reads, <c>[batch, heads, visibleWidth]</c> row-major.</param>
    /// <param name="visibleWidth">The slots each row of <paramref name="visible"/> covers, at most the capacity after the write.</param>
    public Tensor Step(Tensor query, Tensor key, Tensor value, long[] slots, ReadOnlySpan<bool> visible, int visibleWidth)
    {
        if (CanStepInPlace(query, key, value))
            return StepInPlace(query, key, value, slots, visible, visibleWidth);
        using var scope = NewDisposeScope();
        Write(tensor(slots, ScalarType.Int64, _keys.device), key, value);
        var mask = tensor(visible.ToArray(), new[] { _batch, _heads, 1, visibleWidth }, ScalarType.Bool, _keys.device);
        return Full.FullAttentionReference.WithVisibility(query, Keys(visibleWidth), Values(visibleWidth), mask).MoveToOuterDisposeScope();
    }

    /// <summary>Grows the capacity (doubling, up to <see cref="Limit"/>) so that every one of <paramref name="slots"/> is held.</summary>
    public void Reserve(ReadOnlySpan<long> slots)
    {
        long needed = 0;
        foreach (long slot in slots)
            needed = Math.Max(needed, slot + 1);
        Hold(needed);
    }

    // Doubling keeps the copies of a growing cache linear in its final size.
    private void Hold(long slots)
    {
        if (slots > Capacity)
            Grow(Math.Min(Limit, Math.Max(slots, 2 * Capacity)));
    }

    private unsafe Tensor StepInPlace<T>(Tensor query, Tensor key, Tensor value, ReadOnlySpan<long> slots, ReadOnlySpan<bool> visible, int visibleWidth)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = (int)_batch, heads = (int)_heads, headDim = (int)_headDim;
        var output = empty(new long[] { batch, heads, 1, headDim }, _keys.dtype, _keys.device);
        var queries = TensorMemory.StridedHeadRowsOf<T>(query);
        var newKeys = TensorMemory.StridedHeadRowsOf<T>(key);
        var newValues = TensorMemory.StridedHeadRowsOf<T>(value);
        var keys = TensorMemory.HeadRowsOf<T>(_keys);
        var values = TensorMemory.HeadRowsOf<T>(_values);
        var outputs = TensorMemory.HeadRowsOf<T>(output);
        T scale = T.One / T.Sqrt(T.CreateTruncating(headDim));
        // Pooled: a step runs per layer and token, and fresh arrays each time grew the GC's heap as generation went on.
        var scores = System.Buffers.ArrayPool<T>.Shared.Rent(visibleWidth);
        var readSlots = System.Buffers.ArrayPool<int>.Shared.Rent(visibleWidth);
        for (int batchHead = 0; batchHead < batch * heads; batchHead++)
        {
            int slot = (int)slots[batchHead / heads];
            new ReadOnlySpan<T>(newKeys.Row(batchHead, heads, 0), headDim).CopyTo(new Span<T>(keys.Row(batchHead, heads, slot), headDim));
            new ReadOnlySpan<T>(newValues.Row(batchHead, heads, 0), headDim).CopyTo(new Span<T>(values.Row(batchHead, heads, slot), headDim));
            var q = new ReadOnlySpan<T>(queries.Row(batchHead, heads, 0), headDim);
            var o = new Span<T>(outputs.Row(batchHead, heads, 0), headDim);
            o.Clear();
            var seen = visible.Slice(batchHead * visibleWidth, visibleWidth);
            int count = 0;
            for (int j = 0; j < visibleWidth; j++)
            {
                if (!seen[j])
                    continue;
                readSlots[count] = j;
                scores[count++] = TensorPrimitives.Dot(q, new ReadOnlySpan<T>(keys.Row(batchHead, heads, j), headDim)) * scale;
            }
            if (count == 0)
                continue;
            var weights = scores.AsSpan(0, count);
            TensorPrimitives.Subtract(weights, TensorPrimitives.Max<T>(weights), weights);
            TensorPrimitives.Exp<T>(weights, weights);
            T total = TensorPrimitives.Sum<T>(weights);
            for (int i = 0; i < count; i++)
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<T>(values.Row(batchHead, heads, readSlots[i]), headDim), weights[i] / total, o, o);
        }
        System.Buffers.ArrayPool<T>.Shared.Return(scores);
        System.Buffers.ArrayPool<int>.Shared.Return(readSlots);
        GC.KeepAlive(query);
        GC.KeepAlive(key);
        GC.KeepAlive(value);
        return output;
    }

    /// <summary>Sequence b takes the slots of sequence <c>batchIndices[b]</c> (beam search).</summary>
    public void Reorder(Tensor batchIndices, string owner)
    {
        using var scope = NewDisposeScope();
        var indices = XformerDsl.Modules.BatchIndices.Check(batchIndices, _batch, _keys.device, owner);
        Replace(_keys.index_select(0, indices), _values.index_select(0, indices));
    }

    private void Grow(long capacity)
    {
        var shape = new[] { _batch, _heads, capacity, _headDim };
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
        Capacity = keys.size(2);
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        _keys.Dispose();
        _values.Dispose();
    }
}
