using XformerDsl.Attention.Full;
using XformerDsl.Attention.Linear;
using static TorchSharp.torch;

namespace XformerDsl.Modules;

/// <summary>
/// A generated language model that generates token by token from a state: every causal model whose layers use
/// <c>[LinearAttention]</c> (a state of fixed size) or <c>[FullAttention]</c> (a key-value cache that grows with the
/// position). <see cref="Step"/> equals the parallel forward pass at each position.
/// </summary>
public interface IRecurrentLanguageModel
{
    /// <summary>A state for <paramref name="batch"/> sequences, each at position 0, on the model's device and dtype.</summary>
    RecurrentState CreateState(long batch);

    /// <summary>
    /// Feeds one token per sequence and returns the logits <c>[batch, vocab]</c> for the next one. Sequences whose
    /// <paramref name="active"/> entry is false keep their state and position (their logits are meaningless), so a batch
    /// can hold sequences of different lengths. For inference: applies no dropout and records no gradients.
    /// </summary>
    /// <param name="state">From <see cref="CreateState"/>; updated in place.</param>
    /// <param name="tokens">Token ids, <c>[batch]</c>, int64 or int32.</param>
    /// <param name="active">Null (every sequence advances), or bool <c>[batch]</c>.</param>
    Tensor Step(RecurrentState state, Tensor tokens, Tensor? active = null);
}

/// <summary>An attention layer that can attend one new token per sequence from a recurrent state.</summary>
public interface IRecurrentAttention
{
    /// <summary>Maps <c>[batch, 1, dim]</c> (the normalised residual stream at the new token) to <c>[batch, 1, dim]</c>.</summary>
    /// <param name="x">The new token's input.</param>
    /// <param name="state">The model's state.</param>
    /// <param name="layer">This layer's number, which picks its part of the state.</param>
    Tensor Step(Tensor x, RecurrentState state, int layer);
}

/// <summary>
/// The state of <see cref="IRecurrentLanguageModel.Step"/>: each sequence's next position and each layer's attention
/// state, plus position tables computed once. A linear attention layer keeps an m × headDim matrix and an m-vector per
/// head, fixed when the first step has run; a full attention layer keeps a key-value cache that grows with the position.
/// </summary>
public sealed class RecurrentState : IDisposable
{
    private readonly Dictionary<int, LinearAttentionState> _linear = new();
    private readonly Dictionary<int, KeyValueCache> _keyValues = new();
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
        if (tokens.dim() != 1 || tokens.shape[0] != Batch)
            throw new ArgumentException($"{model}.Step: tokens must be [batch] = [{Batch}], one token per sequence of the state; got shape {ModelInputs.Shape(tokens)}.", nameof(tokens));
        ModelInputs.Check(tokens.unsqueeze(1), null, vocab, MaxLength, model);
        if (active is not null && (active.dim() != 1 || active.shape[0] != Batch || active.dtype != ScalarType.Bool))
            throw new ArgumentException($"{model}.Step: active must be bool [batch] = [{Batch}] (true for sequences that take this token); got {active.dtype} of shape {ModelInputs.Shape(active)}.", nameof(active));
        using (NewDisposeScope())
        {
            var advancing = active is null ? Positions : Positions.masked_select(active);
            if (advancing.numel() > 0 && advancing.max().item<long>() >= MaxLength)
                throw new ArgumentException($"{model}.Step: a sequence is already at MaxLength = {MaxLength} tokens; start a new state, or declare a larger MaxLength.");
        }
        Active = active?.to(Device);
    }

    /// <summary>Ends a step: the active sequences move to the next position.</summary>
    public void EndStep()
    {
        using (NewDisposeScope())
        {
            if (Active is null)
                Positions.add_(1);
            else
                Positions.add_(Active.to(ScalarType.Int64));
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

    /// <summary>The linear attention state of <paramref name="layer"/>, created at zero on first use.</summary>
    public LinearAttentionState Linear(int layer, int heads, int features, int headDim)
    {
        if (!_linear.TryGetValue(layer, out var state))
            _linear[layer] = state = new LinearAttentionState(Batch, heads, features, headDim, Device, DType);
        return state;
    }

    /// <summary>The key-value cache of full attention layer <paramref name="layer"/>, created empty on first use.</summary>
    public KeyValueCache KeyValues(int layer, int heads, int headDim)
    {
        if (!_keyValues.TryGetValue(layer, out var cache))
            _keyValues[layer] = cache = new KeyValueCache(Batch, heads, headDim, MaxLength, Device, DType);
        return cache;
    }

    /// <summary>Elements held by the state: fixed for linear attention, growing with the position in a key-value cache.</summary>
    public long Elements => Positions.numel() + _linear.Values.Sum(s => s.Elements) + _keyValues.Values.Sum(c => c.Elements)
        + (_rotaryCos?.numel() ?? 0) + (_rotarySin?.numel() ?? 0) + (_sinusoidal?.numel() ?? 0);

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        Positions.Dispose();
        foreach (var state in _linear.Values)
            state.Dispose();
        foreach (var cache in _keyValues.Values)
            cache.Dispose();
        _rotaryCos?.Dispose();
        _rotarySin?.Dispose();
        _sinusoidal?.Dispose();
    }
}
