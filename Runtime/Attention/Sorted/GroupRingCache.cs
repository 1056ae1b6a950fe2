using static TorchSharp.torch;

namespace XformerDsl.Attention.Sorted;

/// <summary>
/// The step of the one-round attention over <see cref="CausalGroupWindows"/>: for every head and group, a ring of the
/// latest <see cref="Window"/> keys and values. A new token's query attends to the ring of its group, which holds exactly
/// the earlier keys the parallel forward gives it, and to itself, then joins that ring; so a step equals the forward at
/// that position. Memory is fixed: <c>[batch, heads, groups, window, headDim]</c> keys and values. (LSH keeps its own
/// state, <c>LshStepState</c>, for several rounds whose windows overlap.)
/// </summary>
public sealed class GroupRingCache : XformerDsl.Modules.ILayerState
{
    private Tensor _keys, _values, _positions, _pushed;

    /// <summary>An empty cache of <paramref name="groups"/> rings of <paramref name="window"/> rows per head and sequence.</summary>
    public GroupRingCache(long batch, long heads, long groups, int window, long headDim, Device device, ScalarType dtype)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1L);
        Window = window;
        _keys = zeros(new[] { batch, heads, groups, (long)window, headDim }, dtype, device).DetachFromDisposeScope();
        _values = zeros(_keys.shape, dtype, device).DetachFromDisposeScope();
        // Each held key's position (−1 for an empty slot), and how many keys each ring has taken so far.
        _positions = full(new[] { batch, heads, groups, (long)window }, -1L, ScalarType.Int64, device).DetachFromDisposeScope();
        _pushed = zeros(new[] { batch, heads, groups }, ScalarType.Int64, device).DetachFromDisposeScope();
    }

    /// <summary>Keys kept per group.</summary>
    public int Window { get; }

    /// <inheritdoc/>
    public long Elements => _keys.numel() + _values.numel() + _positions.numel() + _pushed.numel();

    /// <summary>
    /// Attends each sequence's new token and adds it to its group's ring: <paramref name="query"/>, <paramref name="key"/>
    /// and <paramref name="value"/> are <c>[batch, heads, 1, headDim]</c>, <paramref name="group"/> int64 <c>[batch, heads]</c>,
    /// <paramref name="positions"/> int64 <c>[batch]</c>, <paramref name="active"/> null or bool <c>[batch]</c> (inactive
    /// sequences keep their rings). The token scores itself <paramref name="selfScore"/> when given, else q·k; scores are
    /// scaled by 1/√headDim. Returns <c>[batch, heads, 1, headDim]</c>.
    /// </summary>
    public Tensor Step(Tensor query, Tensor key, Tensor value, Tensor group, Tensor positions, Tensor? active, double? selfScore)
    {
        long batch = _keys.shape[0], heads = _keys.shape[1], headDim = _keys.shape[4], window = Window;
        long[] expected = [batch, heads, 1, headDim];
        if (!query.shape.SequenceEqual(expected) || !key.shape.SequenceEqual(expected) || !value.shape.SequenceEqual(expected))
            throw new ArgumentException($"GroupRingCache.Step: expected query, key and value [{string.Join(", ", expected)}]; got [{string.Join(", ", query.shape)}], [{string.Join(", ", key.shape)}] and [{string.Join(", ", value.shape)}].");
        using var scope = NewDisposeScope();
        var ring = group.view(batch, heads, 1, 1, 1).expand(-1, -1, 1, window, headDim);
        var ringKeys = _keys.gather(2, ring).squeeze(2);                                                     // [b, h, w, d]
        var ringValues = _values.gather(2, ring).squeeze(2);
        var held = _positions.gather(2, group.view(batch, heads, 1, 1).expand(-1, -1, 1, window)).squeeze(2).ge(0);   // [b, h, w]
        double scale = 1.0 / Math.Sqrt(headDim);
        var scores = ringKeys.matmul(query.transpose(-2, -1)).squeeze(-1) * scale;
        scores = scores.masked_fill(held.logical_not(), double.NegativeInfinity);
        var self = selfScore is double constant
            ? full(new[] { batch, heads, 1L }, constant, query.dtype, query.device)
            : (query * key).sum(-1) * scale;
        var weights = cat([scores, self], -1).softmax(-1);
        var attended = weights.unsqueeze(-2).matmul(cat([ringValues, value], 2));                          // [b, h, 1, d]
        Push(key, value, group, positions, active);
        return attended.MoveToOuterDisposeScope();
    }

    // Writes the new key, value and position over the oldest slot of its group's ring, for active sequences.
    private void Push(Tensor key, Tensor value, Tensor group, Tensor positions, Tensor? active)
    {
        long batch = _keys.shape[0], heads = _keys.shape[1], groups = _keys.shape[2], headDim = _keys.shape[4];
        var device = key.device;
        // Flat indices of [b, h, group] and of its slot [b, h, group, slot].
        var ring = arange(batch * heads, ScalarType.Int64, device).view(batch, heads) * groups + group;
        var slot = ring * Window + _pushed.view(-1).index_select(0, ring.view(-1)).view(ring.shape).remainder(Window);
        var rows = key.reshape(batch, heads, headDim);
        var valueRows = value.reshape(batch, heads, headDim);
        var at = positions.view(batch, 1).expand(batch, heads);
        if (active is not null)
        {
            var taking = active.to(ScalarType.Bool).view(batch, 1).expand(batch, heads);
            ring = ring.masked_select(taking);
            slot = slot.masked_select(taking);
            rows = rows.masked_select(taking.unsqueeze(-1)).view(-1, headDim);
            valueRows = valueRows.masked_select(taking.unsqueeze(-1)).view(-1, headDim);
            at = at.masked_select(taking);
        }
        var slots = slot.reshape(-1);
        _keys.view(-1, headDim).index_copy_(0, slots, rows.reshape(-1, headDim));
        _values.view(-1, headDim).index_copy_(0, slots, valueRows.reshape(-1, headDim));
        _positions.view(-1).index_copy_(0, slots, at.reshape(-1));
        _pushed.view(-1).index_add_(0, ring.reshape(-1), ones_like(ring.reshape(-1)), 1);
    }

    /// <summary>Sequence b takes the rings of sequence <c>batchIndices[b]</c> (beam search).</summary>
    public void Reorder(Tensor batchIndices)
    {
        using var scope = NewDisposeScope();
        var indices = XformerDsl.Modules.BatchIndices.Check(batchIndices, _keys.shape[0], _keys.device, nameof(GroupRingCache));
        Tensor Take(Tensor held)
        {
            var taken = held.index_select(0, indices).DetachFromDisposeScope();
            held.Dispose();
            return taken;
        }
        _keys = Take(_keys);
        _values = Take(_values);
        _positions = Take(_positions);
        _pushed = Take(_pushed);
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        _keys.Dispose();
        _values.Dispose();
        _positions.Dispose();
        _pushed.Dispose();
    }
}
