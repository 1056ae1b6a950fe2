using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace XformerDsl.Attention.Compressed;

/// <summary>
/// Memory compression for <c>[CompressedAttention]</c> (Liu et al., 2018, §2.3): keys or values
/// <c>[batch, heads, seq, headDim]</c> become one row per slot of <c>ratio</c> consecutive positions. Slot s holds
/// positions s·ratio … s·ratio + ratio − 1; a length that is not a multiple of the ratio is padded at the end with zero
/// rows, so the last slot is partial. Padded positions (key-padding mask false) are zeroed before compressing, so they add
/// nothing to any slot; <see cref="SlotMask"/> hides the slots that hold no real token at all.
/// </summary>
public static class CompressedMemory
{
    /// <summary>
    /// The strided convolution of each head, kernel = stride = <paramref name="ratio"/>: slot s of head h is
    /// <c>bias[h·d + o] + Σ_{t, c} weight[h·d + o, c, t] · rows[h][s·ratio + t, c]</c> (a <c>conv1d</c> over the channels
    /// <c>heads · headDim</c> with <c>groups = heads</c>, as lucidrains' <c>ConvCompress</c>, computed as a product per head).
    /// </summary>
    /// <param name="rows">Keys or values, <c>[batch, heads, seq, headDim]</c>.</param>
    /// <param name="keyPaddingMask">Null, or bool <c>[batch, seq]</c>, true for real tokens.</param>
    /// <param name="weight">The filter, <c>[heads · headDim, headDim, ratio]</c>.</param>
    /// <param name="bias">Null, or <c>[heads · headDim]</c>.</param>
    /// <param name="ratio">Positions per slot.</param>
    /// <returns><c>[batch, heads, ⌈seq / ratio⌉, headDim]</c>.</returns>
    public static Tensor Convolve(Tensor rows, Tensor? keyPaddingMask, Tensor weight, Tensor? bias, int ratio)
    {
        long batch = rows.shape[0], heads = rows.shape[1], headDim = rows.shape[3];
        if (weight.dim() != 3 || weight.shape[0] != heads * headDim || weight.shape[1] != headDim || weight.shape[2] != ratio)
            throw new ArgumentException(
                $"{nameof(CompressedMemory)}.{nameof(Convolve)}: rows {AttentionShapes.Shape(rows)} need a filter of [heads · headDim, headDim, ratio] = [{heads * headDim}, {headDim}, {ratio}]; got {AttentionShapes.Shape(weight)}.");
        using var scope = NewDisposeScope();
        // The convolution as one product per head, which is several times faster than libtorch's grouped conv1d here,
        // forward and backward: each slot's rows side by side, [slots, ratio · headDim], times the head's filter
        // rearranged to [ratio · headDim, headDim] (row t · headDim + c, column o holds weight[h · headDim + o, c, t]).
        var padded = ZeroPaddedWholeSlots(rows, keyPaddingMask, ratio).contiguous();          // [batch, heads, slots · ratio, headDim]
        var slotRows = padded.view(batch, heads, -1, ratio * headDim);                         // [batch, heads, slots, ratio · headDim]
        var filter = weight.view(heads, headDim, headDim, ratio).permute(0, 3, 2, 1).reshape(heads, ratio * headDim, headDim);
        var slots = matmul(slotRows, filter);                                                  // [batch, heads, slots, headDim]
        if (bias is not null)
            slots = slots + bias.view(1, heads, 1, headDim);
        return slots.MoveToOuterDisposeScope();
    }

    /// <summary>The mean of each slot's real rows (a slot with none is zero, and hidden by <see cref="SlotMask"/>).</summary>
    /// <param name="rows">Keys or values, <c>[batch, heads, seq, headDim]</c>.</param>
    /// <param name="keyPaddingMask">Null, or bool <c>[batch, seq]</c>, true for real tokens.</param>
    /// <param name="ratio">Positions per slot.</param>
    /// <returns><c>[batch, heads, ⌈seq / ratio⌉, headDim]</c>.</returns>
    public static Tensor MeanPool(Tensor rows, Tensor? keyPaddingMask, int ratio)
    {
        long batch = rows.shape[0], heads = rows.shape[1], seq = rows.shape[2], headDim = rows.shape[3];
        using var scope = NewDisposeScope();
        var padded = ZeroPaddedWholeSlots(rows, keyPaddingMask, ratio);
        long slots = padded.shape[2] / ratio;
        var sums = padded.view(batch, heads, slots, ratio, headDim).sum(3);
        // Real rows per slot: all ratio of them but in a partial last slot, and fewer where the mask pads.
        var real = keyPaddingMask is null ? ones(1, seq, dtype: rows.dtype, device: rows.device) : keyPaddingMask.to(rows.dtype);
        var counts = F.pad(real, [0, slots * ratio - seq]).view(real.shape[0], 1, slots, ratio).sum(3, keepdim: true).clamp_min(1.0);
        return (sums / counts).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Which compressed keys a query may see: true for a slot holding at least one real token, and, with
    /// <paramref name="nullKey"/>, for the null key placed before the slots. Null when <paramref name="keyPaddingMask"/> is.
    /// </summary>
    /// <param name="keyPaddingMask">Null, or bool <c>[batch, seq]</c>, true for real tokens.</param>
    /// <param name="ratio">Positions per slot.</param>
    /// <param name="nullKey">True when the keys start with the null key (causal layers).</param>
    /// <returns>Null, or bool <c>[batch, (1 +) ⌈seq / ratio⌉]</c>.</returns>
    public static Tensor? SlotMask(Tensor? keyPaddingMask, int ratio, bool nullKey)
    {
        if (keyPaddingMask is null)
            return null;
        long batch = keyPaddingMask.shape[0], seq = keyPaddingMask.shape[1], slots = (seq + ratio - 1) / ratio;
        using var scope = NewDisposeScope();
        var real = F.pad(keyPaddingMask.to(ScalarType.Bool), [0, slots * ratio - seq], value: 0);
        var slotHoldsReal = real.view(batch, slots, ratio).any(-1);
        var mask = nullKey ? cat([ones(batch, 1, ScalarType.Bool, keyPaddingMask.device), slotHoldsReal], 1) : slotHoldsReal;
        return mask.MoveToOuterDisposeScope();
    }

    /// <summary>Puts the null key (or value) of each head before the slots: <c>[batch, heads, slots, headDim]</c> → <c>[batch, heads, 1 + slots, headDim]</c>.</summary>
    /// <param name="slots">The compressed keys or values.</param>
    /// <param name="nullRow">The learned null row of each head, <c>[heads, headDim]</c>.</param>
    public static Tensor WithNullRow(Tensor slots, Tensor nullRow)
    {
        long batch = slots.shape[0], heads = slots.shape[1], headDim = slots.shape[3];
        using var scope = NewDisposeScope();
        var first = nullRow.to(slots.dtype).view(1, heads, 1, headDim).expand(batch, heads, 1, headDim);
        return cat([first, slots], 2).MoveToOuterDisposeScope();
    }

    // Padded rows zeroed, and the end padded with zero rows to a whole number of slots.
    private static Tensor ZeroPaddedWholeSlots(Tensor rows, Tensor? keyPaddingMask, int ratio)
    {
        long batch = rows.shape[0], seq = rows.shape[2];
        if (keyPaddingMask is not null && (keyPaddingMask.dim() != 2 || keyPaddingMask.shape[0] != batch || keyPaddingMask.shape[1] != seq))
            throw new ArgumentException(
                $"{nameof(CompressedMemory)}: keyPaddingMask must be [batch, seq] = [{batch}, {seq}] (true for real tokens); got {AttentionShapes.Shape(keyPaddingMask)}.");
        if (ratio < 1)
            throw new ArgumentException($"{nameof(CompressedMemory)}: ratio {ratio} must be 1 or more.");
        var zeroed = keyPaddingMask is null ? rows : rows.masked_fill(keyPaddingMask.logical_not().view(batch, 1, seq, 1), 0.0);
        long missing = (seq + ratio - 1) / ratio * ratio - seq;
        return missing == 0 ? zeroed : F.pad(zeroed, [0, 0, 0, missing]);
    }
}
