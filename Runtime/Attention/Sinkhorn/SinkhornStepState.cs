using XformerDsl.Kernels;
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
/// <item>what the current block's queries attend to, <c>[heads, 2 · Block, headDim]</c> keys and values: its sorted
/// block, then its own keys and values so far (a copy of the store's latest rows, so a step attends over one set of
/// slots, in place on the CPU: <see cref="KeyValueSlots.StepInPlace"/>).</item>
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
    private readonly KeyValueSlots _store, _attended;
    // Fixed in size, so updated in place (Reorder too); only the store grows.
    private readonly Tensor _blockQueries, _pooledKeys, _columnSums;

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
        _attended = new KeyValueSlots(batch, heads, headDim, 2 * settings.Block, device, dtype);
        _attended.Reserve([2L * settings.Block - 1]);
    }

    /// <summary>Positions the key and value store holds room for now (it doubles as positions arrive).</summary>
    public long Capacity => _store.Capacity;

    /// <inheritdoc/>
    public long Elements => _store.Elements + _attended.Elements + _blockQueries.numel() + _pooledKeys.numel() + _columnSums.numel();

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
        // Positions and the mask are a few numbers per sequence: decide on the host which sequences open a block, which
        // rows they write and which keys they see, so a step runs few tensor operations.
        var at = TensorMemory.CopyToArray<long>(positions);
        var taking = active?.to(ScalarType.Bool).cpu().data<bool>().ToArray();
        var opening = Enumerable.Range(0, (int)batch).Where(b => (taking?[b] ?? true) && at[b] > 0 && at[b] % block == 0).ToArray();
        // A token at the start of block i ≥ 1 opens it: its sorting row and sorted block, from the state before this token.
        if (opening.Length > 0)
            OpenBlocks(opening, opening.Select(b => at[b] / block).ToArray(), projection, positions.device);

        // Every sequence writes its key and value at its position, in the store and after its sorted block (an inactive
        // sequence's rows are past its position, so hidden, and overwritten by its next real token before anything reads
        // them; a finished inactive sequence at MaxLength writes its last slot, which it never reads again).
        _store.Write(tensor(at.Select(position => Math.Min(position, _store.Limit - 1)).ToArray(), ScalarType.Int64, positions.device), key, value);
        // Only active sequences add their query to their block's queries: a waiting sequence's block may be whole and unopened.
        var slot = tensor(at.Select(position => position % block).ToArray(), ScalarType.Int64, positions.device).view(batch, 1, 1, 1).expand(query.shape);
        _blockQueries.scatter_(2, slot, active is null ? query : where(active.to(ScalarType.Bool).view(batch, 1, 1, 1), query, _blockQueries.gather(2, slot)));

        // One softmax over the sorted block (none in block 0) and the own block up to the token, the same for every head.
        int heads = (int)query.shape[1], width = 2 * block;
        var own = at.Select(position => block + position % block).ToArray();
        var visible = new bool[batch * heads * width];
        for (int b = 0; b < batch; b++)
            for (int head = 0; head < heads; head++)
            {
                var row = visible.AsSpan((b * heads + head) * width, width);
                row[..block].Fill(at[b] >= block);
                row[block..((int)own[b] + 1)].Fill(true);
            }
        return _attended.Step(query, key, value, own, visible, width).MoveToOuterDisposeScope();
    }

    // Opens block i of each sequence in `sequences`, whose i ≥ 1 is in `blocks`: pools block i − 1's queries and keys,
    // balances row i of the soft permutation against the carried column sums, and sorts the block.
    private void OpenBlocks(int[] sequences, long[] blocks, Tensor projection, Device device)
    {
        long n = sequences.Length, heads = _blockQueries.shape[1], headDim = _blockQueries.shape[3];
        int block = _settings.Block;
        long columns = blocks.Max();   // the widest row opened: columns 0 .. columns − 1
        var taken = tensor(sequences.Select(b => (long)b).ToArray(), ScalarType.Int64, device);
        // When every sequence opens a block (a batch in step), the state's tensors are read and updated in place, with no
        // copy of the store; otherwise the opening sequences' rows are gathered, updated and written back.
        bool everySequence = n == _blockQueries.shape[0];   // `sequences` ascends, so it is then 0 .. batch − 1
        Tensor Rows(Tensor held) => everySequence ? held : held.index_select(0, taken);
        void WriteBack(Tensor held, Tensor rows)
        {
            if (!everySequence)
                held.index_copy_(0, taken, rows);
        }
        var storeKeys = Rows(_store.Keys(columns * block));     // [n, heads, columns · Block, headDim]
        var storeValues = Rows(_store.Values(columns * block));
        var opened = tensor(blocks, ScalarType.Int64, device);

        // Block i − 1's summaries, the means of its queries and keys, as the forward pools them.
        var pooledQuery = Rows(_blockQueries).sum(2, keepdim: true) / block;   // [n, heads, 1, headDim]
        var previousRows = tensor(blocks.SelectMany(i => Enumerable.Range(0, block).Select(r => (i - 1) * block + r)).ToArray(), ScalarType.Int64, device);
        var previousKeys = storeKeys.gather(2, previousRows.view(n, 1, block, 1).expand(n, heads, block, headDim));
        var pooledKeys = Rows(_pooledKeys);
        pooledKeys.scatter_(2, (opened - 1).view(n, 1, 1, 1).expand(n, heads, 1, headDim), previousKeys.sum(2, keepdim: true) / block);
        WriteBack(_pooledKeys, pooledKeys);

        // Row i: blocks j < i only (a row narrower than `columns` hides the rest), balanced iteration by iteration, each
        // column normalised by the sum over rows ≤ i: the carried sum of the rows before, plus this row's entry.
        var hidden = arange(columns, ScalarType.Int64, device).view(1, 1, 1, columns).ge(opened.view(n, 1, 1, 1));
        var log = (SinkhornSorting.Logits(pooledQuery, pooledKeys.narrow(2, 0, columns), projection) / _settings.Temperature)
            .masked_fill(hidden, SinkhornSorting.Hidden);   // [n, heads, 1, columns]
        var columnSums = Rows(_columnSums);
        for (int iteration = 0; iteration < _settings.Iterations; iteration++)
        {
            var carried = columnSums.narrow(2, iteration, 1).narrow(3, 0, columns);
            carried.copy_(carried.logaddexp(log));
            log = SinkhornSorting.NormaliseColumnsThenRows(log, carried, hidden);
        }
        WriteBack(_columnSums, columnSums);

        // The sorted block: row i of P times the key and value blocks before it.
        var permutation = log.exp().masked_fill(hidden, 0.0);
        Tensor Sorted(Tensor rows) => permutation.matmul(rows.view(n, heads, columns, block * headDim)).view(n, heads, block, headDim);
        _attended.Keys(block).index_copy_(0, taken, Sorted(storeKeys));
        _attended.Values(block).index_copy_(0, taken, Sorted(storeValues));
    }

    /// <summary>Sequence b takes the state of sequence <c>batchIndices[b]</c> (beam search).</summary>
    public void Reorder(Tensor batchIndices)
    {
        using var scope = NewDisposeScope();
        var indices = BatchIndices.Check(batchIndices, _blockQueries.shape[0], _blockQueries.device, nameof(SinkhornStepState));
        _store.Reorder(indices, nameof(SinkhornStepState));
        _attended.Reorder(indices, nameof(SinkhornStepState));
        foreach (var held in new[] { _blockQueries, _pooledKeys, _columnSums })
            held.copy_(held.index_select(0, indices));
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        _store.Dispose();
        _attended.Dispose();
        _blockQueries.Dispose();
        _pooledKeys.Dispose();
        _columnSums.Dispose();
    }
}
