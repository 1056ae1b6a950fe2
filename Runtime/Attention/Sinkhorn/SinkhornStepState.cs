using XformerDsl.Attention.Full;
using XformerDsl.Modules;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Sinkhorn;

/// <summary>
/// The recurrent state of one causal Sinkhorn attention layer (<see cref="SinkhornSorting"/>, evaluation mode: no Gumbel
/// noise), per sequence:
/// <list type="bullet">
/// <item>the keys and values of the positions so far, in a store that doubles as positions arrive (up to MaxLength):
/// every sorted block mixes all earlier blocks, so the layer needs them all, as a key-value cache does, and a short
/// generation should not hold MaxLength rows from its first token;</item>
/// <item>the queries of the block being filled (a block's sorting row is summarised by the block before it);</item>
/// <item>the pooled keys of the completed blocks, <c>[heads, MaxLength / Block, headDim]</c>;</item>
/// <item>the balancing history: for every Sinkhorn iteration, the log of the column sums over the rows so far of that
/// iteration's input, <c>[heads, Iterations, MaxLength / Block]</c>; the forward's causal column normalisation of row i
/// divides by exactly these sums plus row i's own entry;</item>
/// <item>the current block's sorted keys and values, <c>[heads, Block, headDim]</c> each.</item>
/// </list>
/// When a token opens block i (i ≥ 1), row i of the soft permutation is computed once, as the forward computes it
/// (block i − 1's pooled queries, the pooled keys of blocks &lt; i, every iteration against the carried column sums), and
/// the block's sorted keys and values are that row times the earlier blocks: the forward's cost of row i. Each token then
/// attends, in one softmax, to its sorted block and its own block up to itself (2 · Block keys at most), so a step equals
/// the parallel forward at that position.
/// </summary>
public sealed class SinkhornStepState : ILayerState
{
    private readonly SinkhornSettings _settings;
    private readonly KeyValueSlots _store;
    private Tensor _blockQueries, _pooledKeys, _columnSums, _sortedKeys, _sortedValues;

    /// <summary>
    /// An empty state for <paramref name="batch"/> sequences of at most <paramref name="maxLength"/> tokens of a causal
    /// layer with <paramref name="heads"/> heads of <paramref name="headDim"/> declared with <paramref name="settings"/>.
    /// </summary>
    /// <exception cref="ArgumentException">When the settings are invalid or not causal, or MaxLength is not a whole number of blocks.</exception>
    public SinkhornStepState(long batch, int heads, int headDim, SinkhornSettings settings, int maxLength, Device device, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Check();
        if (!settings.Causal)
            throw new ArgumentException("SinkhornStepState: a bidirectional Sinkhorn layer sorts with later blocks too, so it cannot step; declare the model causal.", nameof(settings));
        if (maxLength % settings.Block != 0)
            throw new ArgumentException($"SinkhornStepState: MaxLength = {maxLength} is not a whole number of blocks of {settings.Block}.", nameof(maxLength));
        _settings = settings;
        long blocks = maxLength / settings.Block;
        _store = new KeyValueSlots(batch, heads, headDim, maxLength, device, dtype);
        Tensor Zeros(params long[] shape) => zeros(shape, dtype, device).DetachFromDisposeScope();
        _blockQueries = Zeros(batch, heads, settings.Block, headDim);
        _pooledKeys = Zeros(batch, heads, blocks, headDim);
        // Row 0 takes nothing: every entry of it is hidden at every iteration, so it puts Hidden into every column sum.
        _columnSums = full(new[] { batch, heads, settings.Iterations, blocks }, SinkhornSorting.Hidden, dtype, device).DetachFromDisposeScope();
        _sortedKeys = Zeros(batch, heads, settings.Block, headDim);
        _sortedValues = Zeros(batch, heads, settings.Block, headDim);
    }

    /// <summary>Positions the key and value store holds room for now (it doubles as positions arrive).</summary>
    public long Capacity => _store.Capacity;

    /// <inheritdoc/>
    public long Elements => _store.Elements + _blockQueries.numel() + _pooledKeys.numel() + _columnSums.numel() + _sortedKeys.numel() + _sortedValues.numel();

    /// <summary>
    /// Attends each sequence's new token, <c>[batch, heads, 1, headDim]</c> queries, keys and values, at its position
    /// (int64 <c>[batch]</c>), with the layer's sorting <paramref name="projection"/> <c>[headDim, headDim]</c>;
    /// <paramref name="active"/> null or bool <c>[batch]</c> (inactive sequences keep their state; their output means
    /// nothing). Returns <c>[batch, heads, 1, headDim]</c>.
    /// </summary>
    /// <exception cref="ArgumentException">When the shapes disagree with the state's, naming them.</exception>
    public Tensor Step(Tensor query, Tensor key, Tensor value, Tensor projection, Tensor positions, Tensor? active)
    {
        _store.CheckStep(query, key, value, nameof(SinkhornStepState));
        long batch = query.shape[0], headDim = query.shape[3];
        if (projection.dim() != 2 || projection.shape[0] != headDim || projection.shape[1] != headDim)
            throw new ArgumentException($"SinkhornStepState.Step: the sorting projection must be [headDim, headDim] = [{headDim}, {headDim}]; got {AttentionShapes.Shape(projection)}.");
        using var scope = NewDisposeScope();
        int block = _settings.Block;
        var taking = active?.to(ScalarType.Bool) ?? ones(new[] { batch }, ScalarType.Bool, positions.device);
        var offset = positions.remainder(block);
        // A token at the start of block i ≥ 1 opens it: its sorting row and sorted block, from the state before this token.
        var opening = taking.logical_and(offset.eq(0)).logical_and(positions.gt(0)).nonzero().view(-1);
        if (opening.numel() > 0)
            OpenBlocks(opening, positions.index_select(0, opening).div(block, rounding_mode: RoundingMode.floor), projection);

        // Every sequence writes its key and value at its position (an inactive one's is overwritten by its next real token
        // before anything reads it; a finished inactive sequence at MaxLength writes its last slot, which it never reads again).
        _store.Write(positions.clamp_max(_store.Limit - 1), key, value);
        // Only active sequences add their query to their block's queries: a waiting sequence's block may be whole and unopened.
        var slot = offset.view(batch, 1, 1, 1).expand(query.shape);
        _blockQueries.scatter_(2, slot, where(taking.view(batch, 1, 1, 1), query, _blockQueries.gather(2, slot)));

        // One softmax over the sorted block (none for block 0) and the own block up to the token.
        var start = positions - offset;
        var ownPositions = start.view(batch, 1) + arange(block, ScalarType.Int64, positions.device).view(1, block);   // [batch, Block]
        var rows = ownPositions.clamp_max(_store.Capacity - 1).view(batch, 1, block, 1).expand(batch, query.shape[1], block, headDim);
        var keys = cat([_sortedKeys, _store.Keys(_store.Capacity).gather(2, rows)], 2);
        var values = cat([_sortedValues, _store.Values(_store.Capacity).gather(2, rows)], 2);
        var visible = cat([start.gt(0).view(batch, 1).expand(batch, block), ownPositions.le(positions.view(batch, 1))], 1);
        return FullAttentionReference.Forward(query, keys, values, causal: false, visible).MoveToOuterDisposeScope();
    }

    // Opens block i of each sequence in `sequences` (int64 [n], with `blocks` its i ≥ 1): pools block i − 1's queries and
    // keys, balances row i of the soft permutation against the carried column sums, and sorts the block.
    private void OpenBlocks(Tensor sequences, Tensor blocks, Tensor projection)
    {
        long n = sequences.shape[0], heads = _blockQueries.shape[1], headDim = _blockQueries.shape[3];
        int block = _settings.Block;
        long columns = blocks.max().item<long>();   // the widest row opened: columns 0 .. columns − 1
        var device = sequences.device;
        var storeKeys = _store.Keys(columns * block).index_select(0, sequences);     // [n, heads, columns · Block, headDim]
        var storeValues = _store.Values(columns * block).index_select(0, sequences);

        // Block i − 1's summaries, the means of its queries and keys, as the forward pools them.
        var pooledQuery = _blockQueries.index_select(0, sequences).sum(2, keepdim: true) / block;   // [n, heads, 1, headDim]
        var previousRows = ((blocks - 1) * block).view(n, 1) + arange(block, ScalarType.Int64, device).view(1, block);
        var previousKeys = storeKeys.gather(2, previousRows.view(n, 1, block, 1).expand(n, heads, block, headDim));
        var pooledKeys = _pooledKeys.index_select(0, sequences);
        pooledKeys.scatter_(2, (blocks - 1).view(n, 1, 1, 1).expand(n, heads, 1, headDim), previousKeys.sum(2, keepdim: true) / block);
        _pooledKeys.index_copy_(0, sequences, pooledKeys);

        // Row i: blocks j < i only (a row narrower than `columns` hides the rest), balanced iteration by iteration, each
        // column normalised by the sum over rows ≤ i: the carried sum of the rows before, plus this row's entry.
        var hidden = arange(columns, ScalarType.Int64, device).view(1, 1, 1, columns).ge(blocks.view(n, 1, 1, 1));
        var log = (SinkhornSorting.Logits(pooledQuery, pooledKeys.narrow(2, 0, columns), projection) / _settings.Temperature)
            .masked_fill(hidden, SinkhornSorting.Hidden);   // [n, heads, 1, columns]
        var columnSums = _columnSums.index_select(0, sequences);
        for (int iteration = 0; iteration < _settings.Iterations; iteration++)
        {
            var carried = columnSums.narrow(2, iteration, 1).narrow(3, 0, columns);
            carried.copy_(carried.logaddexp(log));
            log = SinkhornSorting.NormaliseColumnsThenRows(log, carried, hidden);
        }
        _columnSums.index_copy_(0, sequences, columnSums);

        // The sorted block: row i of P times the key and value blocks before it.
        var permutation = log.exp().masked_fill(hidden, 0.0);
        Tensor Sorted(Tensor rows) => permutation.matmul(rows.view(n, heads, columns, block * headDim)).view(n, heads, block, headDim);
        _sortedKeys.index_copy_(0, sequences, Sorted(storeKeys));
        _sortedValues.index_copy_(0, sequences, Sorted(storeValues));
    }

    /// <summary>Sequence b takes the state of sequence <c>batchIndices[b]</c> (beam search).</summary>
    public void Reorder(Tensor batchIndices)
    {
        using var scope = NewDisposeScope();
        var indices = BatchIndices.Check(batchIndices, _blockQueries.shape[0], _blockQueries.device, nameof(SinkhornStepState));
        _store.Reorder(indices, nameof(SinkhornStepState));
        Tensor Take(Tensor held)
        {
            var taken = held.index_select(0, indices).DetachFromDisposeScope();
            held.Dispose();
            return taken;
        }
        _blockQueries = Take(_blockQueries);
        _pooledKeys = Take(_pooledKeys);
        _columnSums = Take(_columnSums);
        _sortedKeys = Take(_sortedKeys);
        _sortedValues = Take(_sortedValues);
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        _store.Dispose();
        _blockQueries.Dispose();
        _pooledKeys.Dispose();
        _columnSums.Dispose();
        _sortedKeys.Dispose();
        _sortedValues.Dispose();
    }
}
