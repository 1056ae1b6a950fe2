using XformerDsl.Attention.Full;
using XformerDsl.Attention.Linear;
using XformerDsl.Attention.Patterns;
using XformerDsl.Kernels;
using static TorchSharp.torch;

namespace XformerDsl.Modules;

/// <summary>
/// The state of <see cref="IRecurrentLanguageModel.Step"/>: each sequence's next position and each layer's attention
/// state, plus position tables computed once. Each attention family keeps its own kind of layer state (an
/// <see cref="ILayerState"/>) through <see cref="Layer{TState}"/>: a linear attention layer an m × headDim matrix and an
/// m-vector per head, fixed when the first step has run; a full attention layer a key-value cache that grows with the
/// position; a pattern layer the keys and values its pattern can still read (a ring of the window for a sliding
/// window). A new family's generated step asks <see cref="Layer{TState}"/> for its own state; nothing here changes.
/// </summary>
public sealed class RecurrentState : IDisposable
{
    private readonly Dictionary<int, ILayerState> _layers = new();
    private Tensor? _rotaryCos, _rotarySin, _sinusoidal;

    /// <summary>A state for <paramref name="batch"/> sequences at position 0.</summary>
    /// <param name="batch">Sequences.</param>
    /// <param name="maxLength">The model's MaxLength: no sequence may step past it.</param>
    /// <param name="device">The model's device.</param>
    /// <param name="dtype">The model's floating-point dtype.</param>
    public RecurrentState(long batch, int maxLength, Device device, ScalarType dtype)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        Batch = batch;
        MaxLength = maxLength;
        Device = device;
        DType = dtype;
        Positions = zeros(new[] { batch }, ScalarType.Int64, device).DetachFromDisposeScope();
    }

    /// <summary>Sequences in the batch.</summary>
    public long Batch { get; }

    /// <summary>The model's MaxLength.</summary>
    public int MaxLength { get; }

    /// <summary>The model's device.</summary>
    public Device Device { get; }

    /// <summary>The model's dtype.</summary>
    public ScalarType DType { get; }

    /// <summary>Each sequence's position for the next token, int64 <c>[batch]</c>.</summary>
    public Tensor Positions { get; }

    /// <summary>The current step's active sequences, or null when all are.</summary>
    public Tensor? Active { get; private set; }

    /// <summary>Checks a step's inputs and remembers which sequences advance.</summary>
    /// <exception cref="ArgumentException">When the tokens or the mask have the wrong shape, or an active sequence is at MaxLength.</exception>
    public void BeginStep(Tensor tokens, Tensor? active, long vocab, string model)
    {
        if (tokens.dim() != 1 || tokens.size(0) != Batch)
            throw new ArgumentException($"{model}.Step: tokens must be [batch] = [{Batch}], one token per sequence of the state; got shape {ModelInputs.Shape(tokens)}.", nameof(tokens));
        // On the CPU the ids are checked in place (ModelInputs.Check's reductions are a few operations per token).
        if (tokens.dtype != ScalarType.Int64 || tokens.device_type != TorchSharp.DeviceType.CPU || !InVocabulary(TensorMemory.CopyToArray<long>(tokens), vocab))
            using (NewDisposeScope())
                ModelInputs.Check(tokens.unsqueeze(1), null, vocab, MaxLength, model);
        if (active is not null && (active.dim() != 1 || active.size(0) != Batch || active.dtype != ScalarType.Bool))
            throw new ArgumentException($"{model}.Step: active must be bool [batch] = [{Batch}] (true for sequences that take this token); got {active.dtype} of shape {ModelInputs.Shape(active)}.", nameof(active));
        using (NewDisposeScope())
        {
            if (TensorMemory.CopyToArray<long>(Positions).Max() >= MaxLength)
            {
                var advancing = active is null ? Positions : Positions.masked_select(active.to(Device));
                if (advancing.numel() > 0 && advancing.max().item<long>() >= MaxLength)
                    throw new ArgumentException($"{model}.Step: a sequence is already at MaxLength = {MaxLength} tokens; start a new state, or declare a larger MaxLength.");
                // The sequences at MaxLength sit this step out while others go on. Their outputs mean nothing, but the
                // step still looks up their positions and writes their caches: for the step they stand at MaxLength - 1,
                // so every lookup and slot stays in range (the slot they overwrite is one no step of theirs reads again),
                // and EndStep puts them back.
                var parked = (Positions >= MaxLength).to(ScalarType.Int64);
                Positions.sub_(parked);
                _parked = parked.DetachFromDisposeScope();
            }
        }
        Active = active?.to(Device);
    }

    private static bool InVocabulary(long[] ids, long vocab)
    {
        foreach (long id in ids)
            if (id < 0 || id >= vocab)
                return false;
        return true;
    }

    // The sequences at MaxLength moved back by one for the current step (BeginStep), or null.
    private Tensor? _parked;

    /// <summary>Ends a step: the active sequences move to the next position.</summary>
    public void EndStep()
    {
        using (NewDisposeScope())
        {
            if (Active is null)
                Positions.add_(1);
            else
                Positions.add_(Active.to(ScalarType.Int64));
            if (_parked is not null)
            {
                Positions.add_(_parked);
                _parked.Dispose();
                _parked = null;
            }
        }
        Active = null;
    }

    /// <summary>Rows of the sinusoidal position table at each sequence's position, <c>[batch, dim]</c>.</summary>
    public Tensor SinusoidalRows(long dim)
    {
        _sinusoidal ??= SinusoidalPositions.Table(MaxLength, dim, Device, DType).DetachFromDisposeScope();
        return _sinusoidal.index_select(0, Positions);
    }

    /// <summary>Rotates <c>[batch, heads, 1, headDim]</c> queries or keys by each sequence's position (RoPE).</summary>
    public Tensor Rotate(Tensor x, double rotaryBase)
    {
        long headDim = x.shape[^1];
        if (_rotaryCos is null || _rotarySin is null)
        {
            var tables = RotaryEmbedding.Tables(MaxLength, headDim, rotaryBase, Device, DType);
            _rotaryCos = tables.Cos.DetachFromDisposeScope();
            _rotarySin = tables.Sin.DetachFromDisposeScope();
        }
        // Each sequence is at its own position: lay the batch out as the sequence axis of RotaryEmbedding.Apply.
        var rows = new RotaryTables(_rotaryCos.index_select(0, Positions), _rotarySin.index_select(0, Positions));
        return RotaryEmbedding.Apply(x.permute(2, 1, 0, 3), rows).permute(2, 1, 0, 3);
    }

    /// <summary>
    /// The state of attention layer <paramref name="layer"/>, made by <paramref name="create"/> (from this state's batch,
    /// MaxLength, device and dtype) on first use and kept until <see cref="Dispose"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">When the layer already holds a state of another kind.</exception>
    public TState Layer<TState>(int layer, Func<RecurrentState, TState> create) where TState : class, ILayerState
    {
        ArgumentNullException.ThrowIfNull(create);
        if (!_layers.TryGetValue(layer, out var state))
            _layers[layer] = state = create(this);
        return state as TState
            ?? throw new InvalidOperationException($"Layer {layer} of this recurrent state holds a {state.GetType().Name}, not a {typeof(TState).Name}; each layer keeps one kind of state, so use a state made by this model's CreateState.");
    }

    /// <summary>The linear attention state of <paramref name="layer"/>, created at zero on first use.</summary>
    public LinearAttentionState Linear(int layer, int heads, int features, int headDim) =>
        Layer(layer, state => new LinearAttentionState(state.Batch, heads, features, headDim, state.Device, state.DType));

    /// <summary>The key-value cache of full attention layer <paramref name="layer"/>, created empty on first use.</summary>
    public KeyValueCache KeyValues(int layer, int heads, int headDim) =>
        Layer(layer, state => new KeyValueCache(state.Batch, heads, headDim, state.MaxLength, state.Device, state.DType));

    /// <summary>
    /// The cache of pattern layer <paramref name="layer"/> (local, sliding window, sparse, BigBird, axial), created empty
    /// on first use: the keys and values <paramref name="pattern"/> can still read.
    /// </summary>
    public PatternKeyValueCache Pattern(int layer, int headDim, PatternStep pattern) =>
        Layer(layer, state => new PatternKeyValueCache(state.Batch, pattern, headDim, state.Device, state.DType));

    /// <summary>
    /// Reorders the sequences (beam search): sequence b takes the position and every layer's state sequence
    /// <c>batchIndices[b]</c> had. The batch size stays; call it between steps.
    /// </summary>
    /// <param name="batchIndices">Integer <c>[batch]</c>, values in [0, batch), repeats allowed.</param>
    /// <exception cref="ArgumentException">The indices are not <c>[batch]</c> or out of range.</exception>
    public void Reorder(Tensor batchIndices)
    {
        using var scope = NewDisposeScope();
        var indices = BatchIndices.Check(batchIndices, Batch, Device, nameof(RecurrentState));
        Positions.copy_(Positions.index_select(0, indices));
        foreach (var state in _layers.Values)
            state.Reorder(indices);
    }

    /// <summary>Elements held by the state: fixed for linear attention, growing with the position in a key-value cache.</summary>
    public long Elements => Positions.numel() + _layers.Values.Sum(s => s.Elements)
        + (_rotaryCos?.numel() ?? 0) + (_rotarySin?.numel() ?? 0) + (_sinusoidal?.numel() ?? 0);

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        Positions.Dispose();
        foreach (var state in _layers.Values)
            state.Dispose();
        _rotaryCos?.Dispose();
        _rotarySin?.Dispose();
        _sinusoidal?.Dispose();
        _parked?.Dispose();
    }
}
