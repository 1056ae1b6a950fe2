using static TorchSharp.torch;

namespace XformerDsl.Attention.Recurrence;

/// <summary>
/// Transformer-XL's attention with relative positions (Dai et al., 2019, §3.3; kimiyoung/transformer-xl
/// <c>RelPartialLearnableMultiHeadAttn</c>) composed from TorchSharp ops: the oracle of the generated layers and the path
/// for what no fused kernel serves. Query i (the segment's position i, key position <c>memory + i</c>) scores key j as
/// <c>((q_i + u)·k_j + (q_i + v)·r_{memory+i−j}) / √headDim</c>, with learned biases u and v per head and r the projected
/// sinusoid of the distance (<see cref="RelativePositions"/>).
/// </summary>
/// <remarks>
/// The reference computes the position term for every (query, distance) pair and moves each row into place with
/// <c>_rel_shift</c>, a pad-and-reshape that leaves values from the neighbouring row above the diagonal: harmless where
/// the causal mask hides them, wrong for keys a query does see (bidirectional use, or a window narrower than the mask).
/// Here each (query, key) score reads its own distance's row by index, so the term is exact wherever it is used.
/// </remarks>
public static class RelativeAttentionReference
{
    /// <summary>
    /// softmax(((Q + u)·Kᵀ + gather((Q + v)·Rᵀ)) / √headDim + mask)·V over a segment's queries and the keys of its memory
    /// and itself.
    /// </summary>
    /// <param name="query">The segment's queries, <c>[batch, heads, queries, headDim]</c>.</param>
    /// <param name="key">Keys of the memory then the segment, <c>[batch, heads, keys, headDim]</c>, keys ≥ queries.</param>
    /// <param name="value">Values, as the keys.</param>
    /// <param name="contentBias">u (the reference's <c>r_w_bias</c>), <c>[heads, headDim]</c>.</param>
    /// <param name="positionBias">v (the reference's <c>r_r_bias</c>), <c>[heads, headDim]</c>.</param>
    /// <param name="positions">
    /// The projected distance rows W_R·R, <c>[heads, RelativePositions.Count(queries, keys, causal), headDim]</c>, in
    /// <see cref="RelativePositions.Distances"/>' order.
    /// </param>
    /// <param name="causal">Query i sees keys up to its own position, <c>memory + i</c>.</param>
    /// <param name="window">
    /// 0, or (the reference's <c>same_length</c>) the number of keys each query sees, ending at its own position: then
    /// every query sees as many keys once the memory holds that many.
    /// </param>
    /// <param name="keyPaddingMask">Null, or bool <c>[batch, keys]</c>, true for real keys.</param>
    /// <returns>The attended values, <c>[batch, heads, queries, headDim]</c>.</returns>
    public static Tensor Forward(Tensor query, Tensor key, Tensor value, Tensor contentBias, Tensor positionBias, Tensor positions,
        bool causal, int window = 0, Tensor? keyPaddingMask = null)
    {
        const string Caller = nameof(RelativeAttentionReference);
        AttentionShapes.Check(query, key, value, keyPaddingMask, Caller);
        long batch = query.shape[0], heads = query.shape[1], queries = query.shape[2], keys = key.shape[2], headDim = query.shape[3];
        long rows = RelativePositions.Count(queries, keys, causal);
        if (keys < queries)
            throw new ArgumentException($"{Caller}: the keys are the memory then the segment, so there are at least as many as queries; got {queries} queries and {keys} keys.");
        foreach (var (bias, name) in new[] { (contentBias, "contentBias (u)"), (positionBias, "positionBias (v)") })
        {
            if (bias.dim() != 2 || bias.shape[0] != heads || bias.shape[1] != headDim)
                throw new ArgumentException($"{Caller}: {name} must be [heads, headDim] = [{heads}, {headDim}]; got {AttentionShapes.Shape(bias)}.");
        }
        if (positions.dim() != 3 || positions.shape[0] != heads || positions.shape[1] != rows || positions.shape[2] != headDim)
            throw new ArgumentException(
                $"{Caller}: positions must be [heads, distances, headDim] = [{heads}, {rows}, {headDim}] for {queries} queries over {keys} keys ({(causal ? "causal" : "bidirectional")}); " +
                $"got {AttentionShapes.Shape(positions)}. Project RelativePositions.Table(queries, keys, causal, ...) and split it into heads.");
        if (window < 0)
            throw new ArgumentException($"{Caller}: window must be 0 (none) or the number of keys each query sees; got {window}.");

        using var scope = NewDisposeScope();
        long memory = keys - queries;
        double scale = 1.0 / Math.Sqrt(headDim);
        // Content term: (q_i + u)·k_j, [batch, heads, queries, keys].
        var content = (query + contentBias.unsqueeze(1)).matmul(key.transpose(-2, -1));
        // Position term: (q_i + v)·r for every distance row, [batch, heads, queries, rows], then each score's own row.
        var byDistance = (query + positionBias.unsqueeze(1)).matmul(positions.transpose(-2, -1));
        var row = RowIndex(queries, keys, rows, query.device);                                             // [queries, keys]
        var position = byDistance.gather(3, row.expand(batch, heads, queries, keys));
        var scores = (content + position) * scale;

        var visible = Visibility(queries, memory, keys, causal, window, query.device);                     // [queries, keys] or null
        if (keyPaddingMask is not null)
        {
            var padding = keyPaddingMask.to(ScalarType.Bool).unsqueeze(1).unsqueeze(1);
            visible = visible is null ? padding : visible.logical_and(padding);
        }
        if (visible is not null)
            scores = scores.masked_fill(visible.logical_not(), double.NegativeInfinity);
        var weights = scores.softmax(-1);
        // A query whose keys are all padding gets zeros, as the other references do.
        if (visible is not null)
            weights = weights.masked_fill(visible.logical_not(), 0.0);
        return weights.matmul(value).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The keys each query sees, bool <c>[queries, keys]</c>, or null when it sees all: up to its own position
    /// <c>memory + i</c> when causal, and with a window only the last <paramref name="window"/> of those.
    /// </summary>
    public static Tensor? Visibility(long queries, long memory, long keys, bool causal, int window, Device device)
    {
        if (!causal && window == 0)
            return null;
        using var scope = NewDisposeScope();
        var offset = arange(keys, ScalarType.Int64, device).unsqueeze(0) - arange(queries, ScalarType.Int64, device).unsqueeze(1) - memory; // j − (memory + i)
        var visible = causal ? offset.le(0) : ones(queries, keys, ScalarType.Bool, device);
        if (window > 0)
            visible = visible.logical_and(offset.gt(-window));
        return visible.MoveToOuterDisposeScope();
    }

    // Row of the distance between query i and key j; keys past a causal query have no row and read the last one (masked).
    private static Tensor RowIndex(long queries, long keys, long rows, Device device)
    {
        var row = arange(keys, ScalarType.Int64, device).unsqueeze(0) - arange(queries, ScalarType.Int64, device).unsqueeze(1) + (queries - 1);
        return row.clamp_max(rows - 1);
    }
}
