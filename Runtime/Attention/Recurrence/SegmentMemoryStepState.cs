using XformerDsl.Modules;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Recurrence;

/// <summary>
/// The recurrent state of one segment-recurrent layer when it generates a token at a time: its memory, the inputs it
/// saw at each sequence's last positions, and, for a Compressive Transformer, its compressed memory, as a segment of
/// one token sees them. A step attends to <c>[compressed; memory; token]</c> and then adds the token to the memory, so it
/// equals a one-token segment run with a <c>SegmentMemory</c> of the same lengths, and while nothing has left the memory,
/// the forward pass over the whole sequence. Each sequence fills its own slots (each memory is right-aligned: the newest
/// input last), so a batch can hold sequences at different positions; empty slots are hidden by the key padding mask.
/// The size is fixed: <c>[batch, MemorySlots, dim]</c> and <c>[batch, CompressedLength, dim]</c>, with a bool flag per slot.
/// </summary>
/// <remarks>
/// Transformer-XL (<see cref="CompressedLength"/> = 0) keeps the last <see cref="Length"/> positions. A Compressive
/// Transformer's memory follows <c>SegmentMemory</c>'s rule for one-token segments: positions leave it in whole groups
/// of <see cref="Ratio"/> once it holds more than <see cref="Length"/>, so it holds up to <see cref="Length"/> +
/// <see cref="Ratio"/> − 1 (<see cref="MemorySlots"/>); when a push fills it to <see cref="Length"/> + <see cref="Ratio"/>,
/// the oldest <see cref="Ratio"/> positions are compressed by the layer's compression function into one slot that joins
/// the compressed memory, which keeps its last <see cref="CompressedLength"/> slots.
/// </remarks>
public sealed class SegmentMemoryStepState : ILayerState
{
    private Tensor _memory, _held, _compressed, _compressedHeld;

    /// <summary>An empty Transformer-XL memory of <paramref name="length"/> positions of width <paramref name="dim"/> for <paramref name="batch"/> sequences.</summary>
    public SegmentMemoryStepState(long batch, int length, long dim, Device device, ScalarType dtype)
        : this(batch, length, compressedLength: 0, ratio: 1, dim, device, dtype)
    {
    }

    /// <summary>
    /// An empty memory of a Compressive Transformer layer: <paramref name="length"/> positions (up to
    /// <paramref name="ratio"/> − 1 more while a group is incomplete) and <paramref name="compressedLength"/> slots of
    /// <paramref name="ratio"/> positions each behind them, of width <paramref name="dim"/>, for <paramref name="batch"/> sequences.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="length"/> or <paramref name="ratio"/> is not positive, or <paramref name="compressedLength"/> is negative.</exception>
    public SegmentMemoryStepState(long batch, int length, int compressedLength, int ratio, long dim, Device device, ScalarType dtype)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(compressedLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ratio);
        Length = length;
        CompressedLength = compressedLength;
        Ratio = compressedLength > 0 ? ratio : 1;
        _memory = zeros(new[] { batch, MemorySlots, dim }, dtype, device).DetachFromDisposeScope();
        _held = zeros(new[] { batch, (long)MemorySlots }, ScalarType.Bool, device).DetachFromDisposeScope();
        // Transformer-XL's compressed memory has no slots: empty tensors keep one code path for both.
        _compressed = zeros(new[] { batch, compressedLength, dim }, dtype, device).DetachFromDisposeScope();
        _compressedHeld = zeros(new[] { batch, (long)compressedLength }, ScalarType.Bool, device).DetachFromDisposeScope();
    }

    /// <summary>Positions kept per sequence once a group has left: the declared <c>Memory</c>.</summary>
    public int Length { get; }

    /// <summary>Compressed slots kept per sequence: the declared <c>Compressed</c>; 0 for Transformer-XL.</summary>
    public int CompressedLength { get; }

    /// <summary>Positions per compressed slot: the declared <c>CompressionRatio</c>; 1 for Transformer-XL.</summary>
    public int Ratio { get; }

    /// <summary>The memory's slots: <see cref="Length"/> + <see cref="Ratio"/> − 1, room for an incomplete group.</summary>
    public int MemorySlots => Length + Ratio - 1;

    /// <inheritdoc/>
    public long Elements => _memory.numel() + _held.numel() + _compressed.numel() + _compressedHeld.numel();

    /// <summary>
    /// The keys' and values' source for the new token <paramref name="x"/> (<c>[batch, 1, dim]</c>): the compressed
    /// memory, the memory, then the token, <c>[batch, CompressedLength + MemorySlots + 1, dim]</c>, and its key padding
    /// mask, bool <c>[batch, CompressedLength + MemorySlots + 1]</c>, false at the slots a sequence has not filled yet.
    /// Each sequence's slots are contiguous and end at the token, so the distances are those of the forward's
    /// <c>[compressed; memory; segment]</c>.
    /// </summary>
    /// <exception cref="ArgumentException">When <paramref name="x"/> is not <c>[batch, 1, dim]</c>.</exception>
    public (Tensor Context, Tensor KeyPaddingMask) Context(Tensor x)
    {
        if (x.dim() != 3 || x.shape[0] != _memory.shape[0] || x.shape[1] != 1 || x.shape[2] != _memory.shape[2])
            throw new ArgumentException(
                $"{nameof(SegmentMemoryStepState)}: a step takes one token per sequence, [batch, 1, dim] = [{_memory.shape[0]}, 1, {_memory.shape[2]}]; got [{string.Join(", ", x.shape)}].");
        var token = ones(new[] { x.shape[0], 1L }, ScalarType.Bool, x.device);
        var memory = cat(new[] { _memory, x }, 1);
        var held = cat(new[] { _held, token }, 1);
        return CompressedLength == 0 ? (memory, held) : CloseTheGap(memory);
    }

    // A sequence whose memory is not full has empty slots between its compressed slots and its memory: context position t
    // takes compressed slot t − gap while t is in the compressed part moved right by the gap, and the memory's own slot after
    // (where every slot is filled: the memory is right-aligned).
    private (Tensor Context, Tensor KeyPaddingMask) CloseTheGap(Tensor memory)
    {
        long batch = memory.shape[0], dim = memory.shape[2], compressed = CompressedLength, keys = compressed + memory.shape[1];
        var source = cat(new[] { _compressed, memory }, 1);                                      // [batch, keys, dim]
        var gap = (MemorySlots - _held.sum(new long[] { 1 })).unsqueeze(1);                        // [batch, 1]
        var filled = _compressedHeld.sum(new long[] { 1 }).unsqueeze(1);                          // [batch, 1]
        var position = arange(keys, ScalarType.Int64, memory.device).unsqueeze(0);                // [1, keys]
        var index = where(position < compressed + gap, (position - gap).clamp_min(0), position);  // [batch, keys]
        var context = source.gather(1, index.unsqueeze(-1).expand(batch, keys, dim));
        return (context, position >= compressed + gap - filled);
    }

    /// <summary>
    /// Adds the new token's input <paramref name="x"/> (<c>[batch, 1, dim]</c>) to the memory of each active sequence,
    /// <paramref name="active"/> null (all) or bool <c>[batch]</c>. Transformer-XL drops the oldest position; a
    /// Compressive Transformer's sequence whose memory now holds <see cref="Length"/> + <see cref="Ratio"/> positions
    /// compresses its oldest <see cref="Ratio"/> by <paramref name="compression"/> (the layer's
    /// <c>memory_compression</c>, run without gradient) into a slot that joins its compressed memory.
    /// </summary>
    /// <exception cref="ArgumentNullException">When the state keeps compressed slots and <paramref name="compression"/> is null.</exception>
    public void Push(Tensor x, Tensor? active, MemoryCompressor? compression = null)
    {
        if (CompressedLength > 0)
            ArgumentNullException.ThrowIfNull(compression);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var token = x.detach();
        var joined = cat(new[] { _memory, token }, 1);                                                 // [batch, MemorySlots + 1, dim]
        var joinedHeld = cat(new[] { _held, ones(new[] { x.shape[0], 1L }, ScalarType.Bool, x.device) }, 1);
        var taking = active?.to(ScalarType.Bool).view(-1, 1);
        var memory = joined.narrow(1, 1, MemorySlots);
        var held = joinedHeld.narrow(1, 1, MemorySlots);
        if (CompressedLength > 0)
        {
            // Full means Length + Ratio positions: the oldest Ratio leave as one slot, and the memory keeps its last Length.
            var compressing = joinedHeld.narrow(1, 0, 1);                                            // [batch, 1]
            if (taking is not null)
                compressing = compressing & taking;
            if (compressing.any().item<bool>())
            {
                var slot = compression!.forward(joined.narrow(1, 0, Ratio));                         // [batch, 1, dim]
                var leaving = arange(MemorySlots, device: x.device).unsqueeze(0) < Ratio - 1;     // [1, MemorySlots]
                held = held & ~(compressing & leaving);
                var slots = cat(new[] { _compressed, slot.to(_compressed.dtype) }, 1).narrow(1, 1, CompressedLength);
                var slotsHeld = cat(new[] { _compressedHeld, ones(new[] { x.shape[0], 1L }, ScalarType.Bool, x.device) }, 1).narrow(1, 1, CompressedLength);
                Replace(ref _compressed, where(compressing.unsqueeze(-1), slots, _compressed).contiguous());
                Replace(ref _compressedHeld, where(compressing, slotsHeld, _compressedHeld).contiguous());
            }
        }
        if (taking is not null)
        {
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
        Replace(ref _compressed, _compressed.index_select(0, indices));
        Replace(ref _compressedHeld, _compressedHeld.index_select(0, indices));
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
        _compressed.Dispose();
        _compressedHeld.Dispose();
    }
}
