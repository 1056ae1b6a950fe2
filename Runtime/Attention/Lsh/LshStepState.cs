using static TorchSharp.torch;

namespace XformerDsl.Attention.Lsh;

/// <summary>
/// The recurrent state of one causal LSH attention layer (<see cref="LshCausalAttention"/>): in every round, a ring of the
/// positions of the latest <c>bucketSize</c> keys of every bucket, and the keys and values of the positions so far. A new
/// token hashes with the layer's evaluation rotations; in each round the keys its bucket's ring names are exactly the
/// earlier keys its query sees in the parallel forward, so a step equals the forward at that position.
/// A key and its value are the same in every round (a normalised shared query-key and its value), so they are held once
/// per position, not once per round and bucket: the store grows with the position as a key-value cache does (doubling,
/// up to MaxLength = buckets · bucketSize positions), and the rings hold positions only. Preallocating every bucket's ring
/// of keys and values instead would hold rounds × MaxLength keys and values from the first token: for a model with
/// MaxLength 16,384, two rounds and four 256-wide layers, 268 MB before a single token is generated.
/// </summary>
public sealed class LshStepState : XformerDsl.Modules.ILayerState
{
    private const long InitialCapacity = 256;

    private readonly Tensor _rotations;
    private readonly long _maxLength;
    private Tensor _keys, _values, _positions, _pushed;

    /// <summary>
    /// An empty state for <paramref name="batch"/> sequences, hashing with <paramref name="rotations"/>
    /// <c>[heads, headDim, rounds, buckets / 2]</c> (the layer's evaluation rotations; the state keeps them).
    /// </summary>
    public LshStepState(long batch, int bucketSize, Tensor rotations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketSize, 1);
        if (rotations.dim() != 4)
            throw new ArgumentException($"LSH rotations must be [heads, headDim, rounds, buckets / 2], but are [{string.Join(", ", rotations.shape)}]; draw them with LshHashing.RandomRotations.", nameof(rotations));
        long heads = rotations.shape[0], headDim = rotations.shape[1], rounds = rotations.shape[2], buckets = 2 * rotations.shape[3];
        BucketSize = bucketSize;
        _maxLength = buckets * bucketSize;
        _rotations = rotations.detach().DetachFromDisposeScope();
        var device = rotations.device;
        long capacity = Math.Min(InitialCapacity, _maxLength);
        _keys = zeros(new[] { batch, heads, capacity, headDim }, rotations.dtype, device).DetachFromDisposeScope();
        _values = zeros(_keys.shape, rotations.dtype, device).DetachFromDisposeScope();
        // Each ring slot's position (−1 for an empty slot), and how many keys each bucket has taken so far.
        _positions = full(new[] { batch, heads, rounds, buckets, (long)bucketSize }, -1L, ScalarType.Int64, device).DetachFromDisposeScope();
        _pushed = zeros(new[] { batch, heads, rounds, buckets }, ScalarType.Int64, device).DetachFromDisposeScope();
    }

    /// <summary>Keys kept per bucket and round.</summary>
    public int BucketSize { get; }

    /// <summary>Positions the key and value store holds room for now (it doubles as positions arrive).</summary>
    public long Capacity => _keys.shape[2];

    /// <inheritdoc/>
    public long Elements => _keys.numel() + _values.numel() + _positions.numel() + _pushed.numel() + _rotations.numel();

    /// <summary>
    /// Attends each sequence's new token and adds it to its buckets: <paramref name="queryKey"/> and
    /// <paramref name="value"/> are <c>[batch, heads, 1, headDim]</c>, <paramref name="positions"/> int64 <c>[batch]</c>
    /// each sequence's position, <paramref name="active"/> null or bool <c>[batch]</c> (inactive sequences keep their
    /// caches). Returns <c>[batch, heads, 1, headDim]</c>.
    /// </summary>
    public Tensor Step(Tensor queryKey, Tensor value, Tensor positions, Tensor? active)
    {
        long batch = _keys.shape[0], heads = _keys.shape[1], rounds = _positions.shape[2], headDim = _keys.shape[3];
        long[] expected = [batch, heads, 1, headDim];
        if (!queryKey.shape.SequenceEqual(expected) || !value.shape.SequenceEqual(expected))
            throw new ArgumentException($"LshStepState.Step: expected qk and v [{string.Join(", ", expected)}]; got [{string.Join(", ", queryKey.shape)}] and [{string.Join(", ", value.shape)}].");
        using var scope = NewDisposeScope();
        long window = BucketSize;
        var bucket = LshHashing.Buckets(queryKey, _rotations).view(batch, heads, rounds);   // [b, h, r]

        // The new token's bucket in every round: the positions its ring holds, and their keys and values from the store.
        var ringPositions = _positions.gather(3, bucket.view(batch, heads, rounds, 1, 1).expand(-1, -1, -1, 1, window)).squeeze(3);   // [b, h, r, w]
        var held = ringPositions.ge(0);
        var rows = ringPositions.clamp_min(0).view(batch, heads, rounds * window, 1).expand(-1, -1, -1, headDim);
        var ringKeys = _keys.gather(2, rows).view(batch, heads, rounds, window, headDim);
        var ringValues = _values.gather(2, rows);   // [b, h, r · w, headDim]

        // A key held in several rounds' rings counts once: lower each of its scores by the log of that number.
        var sameKey = ringPositions.view(batch, heads, rounds, window, 1, 1).eq(ringPositions.view(batch, heads, 1, 1, rounds, window))
            .logical_and(held.view(batch, heads, 1, 1, rounds, window));
        var roundsHolding = sameKey.any(-1).to(queryKey.dtype).sum(-1);   // [b, h, r, w]
        var scores = ringKeys.matmul(queryKey.view(batch, heads, 1, headDim, 1)).squeeze(-1) / Math.Sqrt(headDim);
        scores = (scores - roundsHolding.clamp_min(1).log()).masked_fill(held.logical_not(), double.NegativeInfinity);

        // One softmax over every round's keys and the token itself, which scores LshAttentionReference.SelfScore.
        var self = full(new[] { batch, heads, 1L }, LshAttentionReference.SelfScore, queryKey.dtype, queryKey.device);
        var weights = cat([scores.view(batch, heads, rounds * window), self], -1).softmax(-1);
        var values = cat([ringValues, value.view(batch, heads, 1, headDim)], 2);
        var attended = weights.unsqueeze(-2).matmul(values);   // [b, h, 1, headDim]

        Push(nn.functional.normalize(queryKey, p: 2, dim: -1), value, bucket, positions, active);
        return attended.MoveToOuterDisposeScope();
    }

    // Stores the new key and value at its position and writes the position over the oldest slot of its bucket's ring, in
    // every round, for active sequences.
    private void Push(Tensor key, Tensor value, Tensor bucket, Tensor positions, Tensor? active)
    {
        long batch = _keys.shape[0], heads = _keys.shape[1], rounds = _positions.shape[2], buckets = _positions.shape[3], headDim = _keys.shape[3];
        var device = key.device;
        var taking = active?.to(ScalarType.Bool);
        var at = positions.to(ScalarType.Int64);
        var advancing = taking is null ? at : at.masked_select(taking);
        if (advancing.numel() == 0)
            return;
        Reserve(advancing.max().item<long>() + 1);

        // The store: flat row (b · heads + h) · capacity + position.
        var sequenceHeads = arange(batch * heads, ScalarType.Int64, device).view(batch, heads);
        var storeRows = sequenceHeads * Capacity + at.view(batch, 1);
        var keyRows = key.view(batch, heads, headDim);
        var valueRows = value.view(batch, heads, headDim);
        // The rings: flat index of [b, h, r, bucket] and of its oldest slot.
        var ring = arange(batch * heads * rounds, ScalarType.Int64, device).view(batch, heads, rounds) * buckets + bucket;
        var slot = ring * BucketSize + _pushed.view(-1).index_select(0, ring.view(-1)).view(ring.shape).remainder(BucketSize);
        var ringAt = at.view(batch, 1, 1).expand(batch, heads, rounds);
        if (taking is not null)
        {
            var takingHeads = taking.view(batch, 1).expand(batch, heads);
            var takingRounds = taking.view(batch, 1, 1).expand(batch, heads, rounds);
            storeRows = storeRows.masked_select(takingHeads);
            keyRows = keyRows.masked_select(takingHeads.unsqueeze(-1)).view(-1, headDim);
            valueRows = valueRows.masked_select(takingHeads.unsqueeze(-1)).view(-1, headDim);
            ring = ring.masked_select(takingRounds);
            slot = slot.masked_select(takingRounds);
            ringAt = ringAt.masked_select(takingRounds);
        }
        _keys.view(-1, headDim).index_copy_(0, storeRows.reshape(-1), keyRows.reshape(-1, headDim));
        _values.view(-1, headDim).index_copy_(0, storeRows.reshape(-1), valueRows.reshape(-1, headDim));
        _positions.view(-1).index_copy_(0, slot.reshape(-1), ringAt.reshape(-1));
        _pushed.view(-1).index_add_(0, ring.reshape(-1), ones_like(ring.reshape(-1)), 1);
    }

    // Grows the key and value store to hold at least `positions` positions, doubling (at most to MaxLength).
    private void Reserve(long positions)
    {
        if (positions <= Capacity)
            return;
        if (positions > _maxLength)
            throw new ArgumentException($"LshStepState: position {positions - 1} is past the layer's MaxLength of {_maxLength} (buckets · BucketSize); start a new state.");
        long capacity = Capacity;
        while (capacity < positions)
            capacity = Math.Min(2 * capacity, _maxLength);
        Tensor Grow(Tensor held)
        {
            var grown = zeros(new[] { held.shape[0], held.shape[1], capacity, held.shape[3] }, held.dtype, held.device).DetachFromDisposeScope();
            grown.narrow(2, 0, held.shape[2]).copy_(held);
            held.Dispose();
            return grown;
        }
        _keys = Grow(_keys);
        _values = Grow(_values);
    }

    /// <summary>Sequence b takes the caches of sequence <c>batchIndices[b]</c> (beam search).</summary>
    public void Reorder(Tensor batchIndices)
    {
        using var scope = NewDisposeScope();
        var indices = XformerDsl.Modules.BatchIndices.Check(batchIndices, _keys.shape[0], _keys.device, nameof(LshStepState));
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
        _rotations.Dispose();
        _keys.Dispose();
        _values.Dispose();
        _positions.Dispose();
        _pushed.Dispose();
    }
}
