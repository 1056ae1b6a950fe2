using TorchSharp;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Full;

/// <summary>
/// Softmax attention composed from plain TorchSharp ops: the oracle the fused kernels are tested
/// against, and the path for tensors the kernels do not serve (other devices and dtypes).
/// Materialises the <c>[seq × seq]</c> score matrix, so it is for checking and fallback, not for speed.
/// </summary>
public static class FullAttentionReference
{
    /// <summary>
    /// softmax(scale · Q Kᵀ + mask) V for <c>[batch, heads, seq, headDim]</c> inputs.
    /// </summary>
    /// <param name="query">Queries, <c>[batch, heads, queries, headDim]</c>.</param>
    /// <param name="key">Keys, <c>[batch, heads, keys, headDim]</c>.</param>
    /// <param name="value">Values, <c>[batch, heads, keys, headDim]</c>.</param>
    /// <param name="causal">Query i attends keys 0..i only (queries and keys aligned at position 0).</param>
    /// <param name="keyPaddingMask">Optional <c>[batch, keys]</c> bool mask, true where the key is a real token.</param>
    /// <param name="scale">Score scale; defaults to 1/√headDim.</param>
    /// <returns>The attended values, <c>[batch, heads, queries, headDim]</c>. A query with no visible key gets zeros.</returns>
    public static Tensor Forward(Tensor query, Tensor key, Tensor value, bool causal, Tensor? keyPaddingMask = null, double? scale = null)
    {
        AttentionShapes.Check(query, key, value, keyPaddingMask, nameof(FullAttentionReference));
        using var scope = NewDisposeScope();
        long queries = query.shape[2], keys = key.shape[2];
        var visible = VisibilityMask(queries, keys, causal, keyPaddingMask, query.device);
        return Attend(query, key, value, visible, scale).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// softmax(scale · Q Kᵀ) V with the keys each query sees given by a bool <c>[queries, keys]</c> pattern (true where
    /// the query sees the key), and by the key-padding mask: how the pattern families' references are built.
    /// </summary>
    /// <param name="query">Queries, <c>[batch, heads, queries, headDim]</c>.</param>
    /// <param name="key">Keys, <c>[batch, heads, keys, headDim]</c>.</param>
    /// <param name="value">Values, <c>[batch, heads, keys, headDim]</c>.</param>
    /// <param name="pattern">Bool <c>[queries, keys]</c>.</param>
    /// <param name="keyPaddingMask">Optional <c>[batch, keys]</c> bool mask, true where the key is a real token.</param>
    /// <param name="scale">Score scale; defaults to 1/√headDim.</param>
    public static Tensor Forward(Tensor query, Tensor key, Tensor value, Tensor pattern, Tensor? keyPaddingMask, double? scale = null)
    {
        AttentionShapes.Check(query, key, value, keyPaddingMask, nameof(FullAttentionReference));
        if (pattern.dim() != 2 || pattern.shape[0] != query.shape[2] || pattern.shape[1] != key.shape[2])
            throw new ArgumentException(
                $"{nameof(FullAttentionReference)}: the pattern must be [queries, keys] = [{query.shape[2]}, {key.shape[2]}]; got {AttentionShapes.Shape(pattern)}.");
        using var scope = NewDisposeScope();
        var visible = VisibilityMask(query.shape[2], key.shape[2], causal: false, keyPaddingMask, query.device);
        visible = visible is null ? pattern.to(ScalarType.Bool) : visible.logical_and(pattern.to(ScalarType.Bool));
        return Attend(query, key, value, visible, scale).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// softmax(scale · Q Kᵀ) V with the keys each query sees given by a bool mask broadcastable to
    /// <c>[batch, heads, queries, keys]</c>: what a stepping layer needs when each sequence and head sees its own keys
    /// (a pattern's cache, where which slots a new query reads depends on its position and its head).
    /// </summary>
    /// <param name="query">Queries, <c>[batch, heads, queries, headDim]</c>.</param>
    /// <param name="key">Keys, <c>[batch, heads, keys, headDim]</c>.</param>
    /// <param name="value">Values, <c>[batch, heads, keys, headDim]</c>.</param>
    /// <param name="visible">Bool, true where the query sees the key.</param>
    /// <returns><c>[batch, heads, queries, headDim]</c>; a query that sees no key gets zeros.</returns>
    public static Tensor WithVisibility(Tensor query, Tensor key, Tensor value, Tensor visible)
    {
        AttentionShapes.Check(query, key, value, null, nameof(FullAttentionReference));
        return Attend(query, key, value, visible.to(ScalarType.Bool), scale: null);
    }

    /// <summary>
    /// softmax(scale · Q Kᵀ + B + mask) V: attention with an additive score bias B (synthetic logits, relative-position
    /// biases), added before masking; without query and key, softmax(B + mask) V (a pure synthesizer's attention).
    /// </summary>
    /// <param name="query">Queries, <c>[batch, heads, queries, headDim]</c>, or null for bias-only attention.</param>
    /// <param name="key">Keys, <c>[batch, heads, keys, headDim]</c>, null exactly when <paramref name="query"/> is.</param>
    /// <param name="value">Values, <c>[batch, heads, keys, headDim]</c>.</param>
    /// <param name="scoreBias">
    /// The bias, broadcastable to <c>[batch, heads, queries, keys]</c>, e.g. <c>[heads, queries, keys]</c>; without
    /// query and key its second-to-last dimension is the number of queries.
    /// </param>
    /// <param name="causal">Query i attends keys 0..i only.</param>
    /// <param name="keyPaddingMask">Optional <c>[batch, keys]</c> bool mask, true where the key is a real token.</param>
    /// <returns>The attended values, <c>[batch, heads, queries, headDim]</c>. A query with no visible key gets zeros.</returns>
    public static Tensor WithScoreBias(Tensor? query, Tensor? key, Tensor value, Tensor scoreBias, bool causal, Tensor? keyPaddingMask = null)
    {
        if ((query is null) != (key is null))
            throw new ArgumentException($"{nameof(FullAttentionReference)}: pass both query and key, or neither for bias-only attention.");
        if (query is not null)
            AttentionShapes.Check(query, key!, value, keyPaddingMask, nameof(FullAttentionReference));
        using var scope = NewDisposeScope();
        long queries = query?.shape[2] ?? scoreBias.shape[^2], keys = value.shape[2];
        var visible = VisibilityMask(queries, keys, causal, keyPaddingMask, value.device);
        var scores = query is null ? scoreBias : QueryKeyScores(query, key!, scale: null) + scoreBias;
        return Weigh(scores.expand(value.shape[0], value.shape[1], queries, keys), value, visible).MoveToOuterDisposeScope();
    }

    private static Tensor QueryKeyScores(Tensor query, Tensor key, double? scale) =>
        query.matmul(key.transpose(-2, -1)) * (scale ?? 1.0 / Math.Sqrt(query.shape[3]));

    private static Tensor Attend(Tensor query, Tensor key, Tensor value, Tensor? visible, double? scale) =>
        Weigh(QueryKeyScores(query, key, scale), value, visible);

    private static Tensor Weigh(Tensor scores, Tensor value, Tensor? visible)
    {
        if (visible is not null)
            scores = scores.masked_fill(visible.logical_not(), double.NegativeInfinity);
        var weights = scores.softmax(-1);
        // A row with no visible key is all -inf, which softmax turns into NaN; such a query attends nothing.
        if (visible is not null)
            weights = weights.masked_fill(visible.logical_not(), 0.0);
        return weights.matmul(value);
    }

    /// <summary>
    /// The boolean visibility of each key to each query, broadcastable to <c>[batch, heads, queries, keys]</c>,
    /// or null when every key is visible to every query.
    /// </summary>
    public static Tensor? VisibilityMask(long queries, long keys, bool causal, Tensor? keyPaddingMask, Device device)
    {
        Tensor? visible = null;
        if (causal)
            visible = ones(queries, keys, ScalarType.Bool, device).tril();
        if (keyPaddingMask is not null)
        {
            var padding = keyPaddingMask.to(ScalarType.Bool).unsqueeze(1).unsqueeze(1);   // [batch, 1, 1, keys]
            visible = visible is null ? padding : visible.logical_and(padding);
        }
        return visible;
    }
}
