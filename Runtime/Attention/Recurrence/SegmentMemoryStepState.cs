using XformerDsl.Modules;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Recurrence;

/// <summary>
/// The recurrent state of one Transformer-XL attention layer when it generates a token at a time: its memory, the inputs
/// it saw at each sequence's last <see cref="Length"/> positions, as a segment of one token sees it. A step attends to
/// <c>[memory; token]</c> and then adds the token to the memory, so it equals a one-token segment run with a
/// <c>SegmentMemory</c> of that length, and while a sequence is shorter than the memory, the forward pass over the
/// whole sequence. Each sequence fills its own slots (the memory is right-aligned: the newest input last), so a batch
/// can hold sequences at different positions; empty slots are hidden by the key padding mask. The size is fixed:
/// <c>[batch, Length, dim]</c>.
/// </summary>
public sealed class SegmentMemoryStepState : ILayerState
{
    private Tensor _memory, _held;

    /// <summary>An empty memory of <paramref name="length"/> positions of width <paramref name="dim"/> for <paramref name="batch"/> sequences.</summary>
    public SegmentMemoryStepState(long batch, int length, long dim, Device device, ScalarType dtype)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        Length = length;
        _memory = zeros(new[] { batch, length, dim }, dtype, device).DetachFromDisposeScope();
        _held = zeros(new[] { batch, (long)length }, ScalarType.Bool, device).DetachFromDisposeScope();
    }

    /// <summary>Positions kept per sequence: the declared <c>Memory</c>.</summary>
    public int Length { get; }

    /// <inheritdoc/>
    public long Elements => _memory.numel() + _held.numel();

    /// <summary>
    /// The keys' and values' source for the new token <paramref name="x"/> (<c>[batch, 1, dim]</c>): the memory then the
    /// token, <c>[batch, Length + 1, dim]</c>, and its key padding mask, bool <c>[batch, Length + 1]</c>, false at the
    /// slots a sequence has not filled yet.
    /// </summary>
    /// <exception cref="ArgumentException">When <paramref name="x"/> is not <c>[batch, 1, dim]</c>.</exception>
    public (Tensor Context, Tensor KeyPaddingMask) Context(Tensor x)
    {
        if (x.dim() != 3 || x.shape[0] != _memory.shape[0] || x.shape[1] != 1 || x.shape[2] != _memory.shape[2])
            throw new ArgumentException(
                $"{nameof(SegmentMemoryStepState)}: a step takes one token per sequence, [batch, 1, dim] = [{_memory.shape[0]}, 1, {_memory.shape[2]}]; got [{string.Join(", ", x.shape)}].");
        var token = ones(new[] { x.shape[0], 1L }, ScalarType.Bool, x.device);
        return (cat(new[] { _memory, x }, 1), cat(new[] { _held, token }, 1));
    }

    /// <summary>
    /// Adds the new token's input <paramref name="x"/> (<c>[batch, 1, dim]</c>) to the memory of each active sequence,
    /// dropping its oldest position; <paramref name="active"/> null (all) or bool <c>[batch]</c>.
    /// </summary>
    public void Push(Tensor x, Tensor? active)
    {
        using var scope = NewDisposeScope();
        var (context, held) = Context(x.detach());
        var memory = context.narrow(1, 1, Length);
        held = held.narrow(1, 1, Length);
        if (active is not null)
        {
            var taking = active.to(ScalarType.Bool).view(-1, 1);
            memory = where(taking.unsqueeze(-1), memory, _memory);
            held = where(taking, held, _held);
        }
        Replace(ref _memory, memory.contiguous());
        Replace(ref _held, held.contiguous());
    }

    /// <inheritdoc/>
    public void Reorder(Tensor batchIndices)
    {
        using var scope = NewDisposeScope();
        var indices = BatchIndices.Check(batchIndices, _memory.shape[0], _memory.device, nameof(SegmentMemoryStepState));
        Replace(ref _memory, _memory.index_select(0, indices));
        Replace(ref _held, _held.index_select(0, indices));
    }

    private static void Replace(ref Tensor held, Tensor next)
    {
        var old = held;
        held = next.DetachFromDisposeScope();
        old.Dispose();
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        _memory.Dispose();
        _held.Dispose();
    }
}
