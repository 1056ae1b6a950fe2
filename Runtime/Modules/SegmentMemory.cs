using static TorchSharp.torch;

namespace XformerDsl.Modules;

/// <summary>
/// The memory of a model with segment recurrence (Transformer-XL, Dai et al., 2019, §3.2): for every layer, the hidden
/// states that entered that layer over the last <see cref="Length"/> positions of the segments seen so far,
/// <c>[batch, positions, dim]</c>. The model's forward reads each layer's memory as keys and values before the segment,
/// then appends the segment's inputs and keeps the last <see cref="Length"/> positions. Memory is a constant to the
/// next segment: it is stored detached (the reference's stop-gradient), so no gradient flows into it or through it
/// into earlier segments. Create one with the model's <c>CreateMemory</c>, pass it to every segment of a stream in order,
/// and <see cref="Reset"/> it at a document boundary. Evaluation may keep a longer memory than training did: the
/// relative positions have no upper bound.
/// </summary>
/// <remarks>
/// The Compressive Transformer (Rae et al., 2020, §3.1) adds a second FIFO per layer of <see cref="CompressedLength"/>
/// slots. Positions leave the memory in whole groups of <see cref="Ratio"/>, the oldest first (<see cref="Update"/> returns
/// them), so the memory holds from <see cref="Length"/> to <see cref="Length"/> + <see cref="Ratio"/> − 1 positions (exactly
/// <see cref="Length"/> when it and the segments are multiples of <see cref="Ratio"/>); the model compresses each group
/// into one slot and appends it (<see cref="AppendCompressed"/>), and the compressed memory keeps its last
/// <see cref="CompressedLength"/> slots, also without gradient. A layer attends to <see cref="Context"/>,
/// <c>[compressed; memory]</c>.
/// </remarks>
public sealed class SegmentMemory : IDisposable
{
    private readonly Tensor?[] _layers;
    private readonly Tensor?[] _compressed;

    /// <summary>An empty memory for <paramref name="layers"/> layers that keeps <paramref name="length"/> positions.</summary>
    /// <param name="layers">The model's Depth.</param>
    /// <param name="length">Positions kept per layer; 0 keeps none (every segment starts afresh).</param>
    /// <exception cref="ArgumentOutOfRangeException">When a size is negative, or there are no layers.</exception>
    public SegmentMemory(int layers, int length) : this(layers, length, compressedLength: 0, ratio: 1)
    {
    }

    /// <summary>
    /// An empty memory of a Compressive Transformer: each layer keeps <paramref name="length"/> positions, and
    /// <paramref name="compressedLength"/> slots of <paramref name="ratio"/> positions each that left them.
    /// </summary>
    /// <param name="layers">The model's Depth.</param>
    /// <param name="length">Positions kept per layer (0: every position leaves at once, to be compressed).</param>
    /// <param name="compressedLength">Compressed slots kept per layer; 0 keeps none (a Transformer-XL memory).</param>
    /// <param name="ratio">Positions per slot: positions leave the memory in whole groups of this many.</param>
    /// <exception cref="ArgumentOutOfRangeException">When a size is negative, or there are no layers, or the ratio is not positive.</exception>
    public SegmentMemory(int layers, int length, int compressedLength, int ratio)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layers);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfNegative(compressedLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ratio);
        _layers = new Tensor?[layers];
        _compressed = new Tensor?[layers];
        Length = length;
        CompressedLength = compressedLength;
        Ratio = compressedLength > 0 ? ratio : 1;
    }

    /// <summary>The positions kept per layer: at most this many, or up to <see cref="Ratio"/> − 1 more while a group is incomplete.</summary>
    public int Length { get; }

    /// <summary>The compressed slots kept per layer at most; 0 for a memory without compression.</summary>
    public int CompressedLength { get; }

    /// <summary>The positions one compressed slot stands for, the size of the groups that leave the memory (1 without compression).</summary>
    public int Ratio { get; }

    /// <summary>True when the memory keeps compressed slots (Compressive Transformer).</summary>
    public bool Compresses => CompressedLength > 0;

    /// <summary>The compressed slots the memory holds now (the same for every layer): 0 until a group has left the memory.</summary>
    public long CompressedPositions => _compressed[0]?.shape[1] ?? 0;

    /// <summary>Layer <paramref name="layer"/>'s compressed slots, <c>[batch, CompressedPositions, dim]</c>, or null while there are none.</summary>
    public Tensor? Compressed(int layer) => _compressed[layer];

    /// <summary>
    /// What layer <paramref name="layer"/> attends to before the segment: <c>[compressed; memory]</c>,
    /// <c>[batch, CompressedPositions + Positions, dim]</c>, or null while both are empty. Without compression, the memory.
    /// </summary>
    public Tensor? Context(int layer)
    {
        var memory = _layers[layer];
        var compressed = _compressed[layer];
        if (compressed is null)
            return memory;
        return memory is null ? compressed : cat(new[] { compressed, memory }, 1);
    }

    /// <summary>The layers, the model's Depth.</summary>
    public int Layers => _layers.Length;

    /// <summary>The positions the memory holds now (the same for every layer): 0 before the first segment.</summary>
    public long Positions => _layers[0]?.shape[1] ?? 0;

    /// <summary>Layer <paramref name="layer"/>'s memory, <c>[batch, Positions, dim]</c>, or null while it is empty.</summary>
    public Tensor? this[int layer] => _layers[layer];

    /// <summary>
    /// Throws unless this memory can serve a model of <paramref name="layers"/> layers whose segment enters its layers as
    /// <paramref name="hidden"/> (<c>[batch, seq, dim]</c>): the generated forward calls it before the first layer.
    /// </summary>
    /// <exception cref="ArgumentException">When the depth, batch or width differ, with the fix.</exception>
    public void Check(int layers, Tensor hidden, string model)
    {
        if (layers != Layers)
            throw new ArgumentException($"{model}: the memory has {Layers} layers and the model {layers}; create it with the model's CreateMemory.", "memory");
        CheckContinues(0, hidden, model);
    }

    /// <summary>
    /// Appends <paramref name="hidden"/> (<c>[batch, seq, dim]</c>, the segment's input to layer <paramref name="layer"/>)
    /// to the layer's memory without its gradient history, and keeps the last <see cref="Length"/> positions. With
    /// compression, positions leave in whole groups of <see cref="Ratio"/> and are returned, for the model to compress
    /// and pass to <see cref="AppendCompressed"/>.
    /// </summary>
    /// <returns>
    /// With compression, the positions that left the memory, oldest first, <c>[batch, groups · Ratio, dim]</c> (detached,
    /// in the caller's dispose scope), or null when none did; without compression, always null (they are dropped).
    /// </returns>
    /// <exception cref="ArgumentException">When <paramref name="hidden"/> does not continue the memory's batch and width.</exception>
    public Tensor? Update(int layer, Tensor hidden)
    {
        if (Length == 0 && !Compresses)
            return null;
        CheckContinues(layer, hidden, nameof(SegmentMemory));
        var old = _layers[layer];
        Tensor? evicted = null;
        using (no_grad())
        {
            var joined = old is null ? hidden.detach() : cat(new[] { old, hidden.detach() }, 1);
            long excess = Math.Max(0, joined.shape[1] - Length);
            long leaving = Compresses ? excess / Ratio * Ratio : excess;
            long keep = joined.shape[1] - leaving;
            if (Compresses && leaving > 0)
                evicted = joined.narrow(1, 0, leaving);
            // A copy of the kept positions: it outlives the forward pass's dispose scope and holds no larger storage.
            _layers[layer] = keep == 0 ? null : joined.narrow(1, leaving, keep).clone().DetachFromDisposeScope();
        }
        old?.Dispose();
        return evicted;
    }

    /// <summary>
    /// Appends <paramref name="slots"/> (<c>[batch, slots, dim]</c>, the compression of what <see cref="Update"/> returned)
    /// to layer <paramref name="layer"/>'s compressed memory without their gradient history, and keeps the last
    /// <see cref="CompressedLength"/> slots.
    /// </summary>
    /// <exception cref="InvalidOperationException">When the memory keeps no compressed slots.</exception>
    /// <exception cref="ArgumentException">When <paramref name="slots"/> does not continue the compressed memory's batch and width.</exception>
    public void AppendCompressed(int layer, Tensor slots)
    {
        if (!Compresses)
            throw new InvalidOperationException($"{nameof(SegmentMemory)}: this memory keeps no compressed slots (CompressedLength = 0); create it with the model's CreateMemory.");
        var old = _compressed[layer];
        if (slots.dim() != 3 || (old is not null && (old.shape[0] != slots.shape[0] || old.shape[2] != slots.shape[2])))
            throw new ArgumentException(
                $"{nameof(SegmentMemory)}: layer {layer}'s compressed memory holds [batch, slots, dim] = {(old is null ? "nothing yet" : ModelInputs.Shape(old))}, and the new slots " +
                $"{ModelInputs.Shape(slots)} do not continue it; use one memory per stream of a fixed batch, or {nameof(Reset)} it when the batch changes.", nameof(slots));
        using (no_grad())
        {
            var joined = old is null ? slots.detach() : cat(new[] { old, slots.detach() }, 1);
            long keep = Math.Min(CompressedLength, joined.shape[1]);
            _compressed[layer] = joined.narrow(1, joined.shape[1] - keep, keep).clone().DetachFromDisposeScope();
        }
        old?.Dispose();
    }

    private void CheckContinues(int layer, Tensor hidden, string caller)
    {
        var old = _layers[layer] ?? _compressed[layer];
        if (hidden.dim() != 3 || (old is not null && (old.shape[0] != hidden.shape[0] || old.shape[2] != hidden.shape[2])))
            throw new ArgumentException(
                $"{caller}: the memory's layer {layer} holds [batch, positions, dim] = {(old is null ? "nothing yet" : ModelInputs.Shape(old))}, and the segment's hidden states " +
                $"{ModelInputs.Shape(hidden)} do not continue it; use one memory per stream of a fixed batch, or {nameof(Reset)} it when the batch changes.", "memory");
    }

    /// <summary>Empties every layer's memory: the next segment starts a new stream (a document or epoch boundary).</summary>
    public void Reset()
    {
        for (int i = 0; i < _layers.Length; i++)
        {
            _layers[i]?.Dispose();
            _layers[i] = null;
            _compressed[i]?.Dispose();
            _compressed[i] = null;
        }
    }

    /// <summary>Frees the memory's tensors.</summary>
    public void Dispose() => Reset();
}
