using XformerDsl.Attention.Full;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Sinkhorn;

/// <summary>
/// The attention step of Sinkhorn attention, after sorting: <c>[batch, heads, length, headDim]</c> queries, keys and
/// values (length a multiple of the block), the sorted blocks, and <c>valid</c>, bool <c>[batch, length]</c>, true for
/// real positions. Returns the attended rows, <c>[batch, heads, length, headDim]</c>.
/// </summary>
public delegate Tensor SinkhornAttendStep(Tensor query, Tensor key, Tensor value, SinkhornSortedBlocks sorted, Tensor valid);

/// <summary>
/// Sinkhorn attention (Tay et al., 2020) composed from TorchSharp ops: the oracle of the fused kernels and the path for
/// tensors they do not serve. Sorting is <see cref="SinkhornSorting"/>; then each query block attends, in one softmax,
/// to its sorted block and to its own block (the paper's joint softmax over the concatenated keys, not the Long Range
/// Arena code's sum of two separately normalised attentions: one softmax lets a query weigh its sorted keys against its
/// local ones, at the same cost). A causal layer hides the later keys of the query's own block, and the sorted block
/// where the permutation took nothing (the first block). With SortCut every query attends to the first SortCut sorted
/// blocks instead. A query with no visible key gets zeros.
/// </summary>
public static class SinkhornAttentionReference
{
    /// <summary>
    /// Sinkhorn attention of <c>[batch, heads, seq, headDim]</c> queries, keys and values, any seq (padded internally to
    /// whole blocks), with the sorting network's <paramref name="projection"/> <c>[headDim, headDim]</c>.
    /// </summary>
    /// <param name="query">Queries.</param>
    /// <param name="key">Keys.</param>
    /// <param name="value">Values.</param>
    /// <param name="projection">The sorting network's projection of pooled queries.</param>
    /// <param name="settings">Block, iterations, temperature, causal, SortCut.</param>
    /// <param name="training">Add Gumbel noise to the sorting logits.</param>
    /// <param name="keyPaddingMask">Optional bool <c>[batch, seq]</c>, true for real tokens.</param>
    public static Tensor Forward(Tensor query, Tensor key, Tensor value, Tensor projection, SinkhornSettings settings, bool training, Tensor? keyPaddingMask) =>
        Attend(query, key, value, projection, settings, training, keyPaddingMask,
            settings.SortCut > 0 ? (q, _, _, sorted, _) => AttendSortCut(q, sorted, settings) : (q, k, v, sorted, valid) => AttendBlocks(q, k, v, sorted, valid, settings));

    /// <summary>
    /// Checks the inputs, pads the sequence to whole blocks (padded positions are hidden keys), sorts, runs
    /// <paramref name="attend"/> (this reference's step, or a fused kernel's), and drops the padding again.
    /// </summary>
    /// <exception cref="ArgumentException">When shapes disagree or the settings are invalid, naming them.</exception>
    public static Tensor Attend(Tensor query, Tensor key, Tensor value, Tensor projection, SinkhornSettings settings, bool training,
        Tensor? keyPaddingMask, SinkhornAttendStep attend)
    {
        AttentionShapes.Check(query, key, value, keyPaddingMask, "Sinkhorn attention");
        settings.Check();
        long batch = query.shape[0], seq = query.shape[2], headDim = query.shape[3];
        if (key.shape[2] != seq)
            throw new ArgumentException($"Sinkhorn attention: queries and keys must have the same length; got {AttentionShapes.Shape(query)} and {AttentionShapes.Shape(key)}.");
        if (projection.dim() != 2 || projection.shape[0] != headDim || projection.shape[1] != headDim)
            throw new ArgumentException($"Sinkhorn attention: the sorting projection must be [headDim, headDim] = [{headDim}, {headDim}]; got {AttentionShapes.Shape(projection)}.");
        long blocks = (seq + settings.Block - 1) / settings.Block;
        if (settings.SortCut > blocks)
            throw new ArgumentException($"Sinkhorn attention: SortCut = {settings.SortCut} but a sequence of {seq} has only {blocks} blocks of {settings.Block}; use SortCut = {blocks} or less, or longer sequences.");
        using var scope = NewDisposeScope();
        long padding = blocks * settings.Block - seq;
        var valid = keyPaddingMask?.to(ScalarType.Bool) ?? ones(new[] { batch, seq }, ScalarType.Bool, query.device);
        Tensor Pad(Tensor rows) => padding == 0 ? rows : nn.functional.pad(rows, [0, 0, 0, padding]);
        if (padding > 0)
            valid = nn.functional.pad(valid, [0, padding], value: 0.0).to(ScalarType.Bool);
        var (q, k, v) = (Pad(query), Pad(key), Pad(value));
        var sorted = SinkhornSorting.Sort(q, k, v, projection, valid, settings, training);
        var attended = attend(q, k, v, sorted, valid.contiguous());
        return (padding == 0 ? attended : attended.narrow(2, 0, seq)).MoveToOuterDisposeScope();
    }

    /// <summary>Each query block attends to its sorted block and its own block in one softmax (see the class summary).</summary>
    public static Tensor AttendBlocks(Tensor query, Tensor key, Tensor value, SinkhornSortedBlocks sorted, Tensor valid, SinkhornSettings settings)
    {
        using var scope = NewDisposeScope();
        long batch = query.shape[0], heads = query.shape[1], length = query.shape[2], headDim = query.shape[3];
        int block = settings.Block;
        long blocks = length / block;
        Tensor Blocks(Tensor rows) => rows.view(batch, heads, blocks, block, headDim);
        var sortedVisible = sorted.Visible.view(batch, 1, blocks, 1, 1).expand(batch, 1, blocks, block, block);
        var localVisible = valid.view(batch, 1, blocks, 1, block).expand(batch, 1, blocks, block, block);
        if (settings.Causal)
            localVisible = localVisible.logical_and(ones(block, block, ScalarType.Bool, query.device).tril());
        var visible = cat([sortedVisible, localVisible], -1);
        var scores = cat([Blocks(query).matmul(Blocks(sorted.Key).transpose(-2, -1)), Blocks(query).matmul(Blocks(key).transpose(-2, -1))], -1)
            / Math.Sqrt(headDim);
        var weights = scores.masked_fill(visible.logical_not(), double.NegativeInfinity).softmax(-1)
            .masked_fill(visible.logical_not(), 0.0);   // a row with no visible key is NaN after softmax; it attends nothing
        var attended = weights.matmul(cat([Blocks(sorted.Value), Blocks(value)], -2));
        return attended.view(batch, heads, length, headDim).MoveToOuterDisposeScope();
    }

    /// <summary>SortCut: every query attends to all rows of the first SortCut sorted blocks (the blocks the permutation filled).</summary>
    public static Tensor AttendSortCut(Tensor query, SinkhornSortedBlocks sorted, SinkhornSettings settings) =>
        FullAttentionReference.Forward(query, sorted.Key, sorted.Value, causal: false, SortedKeyMask(sorted, settings));

    /// <summary>The sorted rows' key mask, bool <c>[batch, sortedBlocks · Block]</c>: each sorted block's visibility for its rows.</summary>
    public static Tensor SortedKeyMask(SinkhornSortedBlocks sorted, SinkhornSettings settings) =>
        sorted.Visible.repeat_interleave(settings.Block, dim: 1);
}
