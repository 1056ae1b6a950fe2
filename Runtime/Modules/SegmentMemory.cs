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
public sealed class SegmentMemory : IDisposable
{
    private readonly Tensor?[] _layers;

    /// <summary>An empty memory for <paramref name="layers"/> layers that keeps <paramref name="length"/> positions.</summary>
    /// <param name="layers">The model's Depth.</param>
    /// <param name="length">Positions kept per layer; 0 keeps none (every segment starts afresh).</param>
    /// <exception cref="ArgumentOutOfRangeException">When a size is negative, or there are no layers.</exception>
    public SegmentMemory(int layers, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layers);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _layers = new Tensor?[layers];
        Length = length;
    }

    /// <summary>The positions kept per layer at most.</summary>
    public int Length { get; }

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
    /// to the layer's memory without its gradient history, and keeps the last <see cref="Length"/> positions.
    /// </summary>
    /// <exception cref="ArgumentException">When <paramref name="hidden"/> does not continue the memory's batch and width.</exception>
    public void Update(int layer, Tensor hidden)
    {
        if (Length == 0)
            return;
        CheckContinues(layer, hidden, nameof(SegmentMemory));
        var old = _layers[layer];
        using (no_grad())
        {
            var joined = old is null ? hidden.detach() : cat(new[] { old, hidden.detach() }, 1);
            long keep = Math.Min(Length, joined.shape[1]);
            // A copy of the kept positions: it outlives the forward pass's dispose scope and holds no larger storage.
            _layers[layer] = joined.narrow(1, joined.shape[1] - keep, keep).clone().DetachFromDisposeScope();
        }
        old?.Dispose();
    }

    private void CheckContinues(int layer, Tensor hidden, string caller)
    {
        var old = _layers[layer];
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
        }
    }

    /// <summary>Frees the memory's tensors.</summary>
    public void Dispose() => Reset();
}
