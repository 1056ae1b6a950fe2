using XformerDsl.Attention.Full;
using XformerDsl.Specs;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Patterns;

/// <summary>
/// The attention of a pattern family (local, sliding window, …) composed from TorchSharp ops: the full reference
/// attention under the pattern as a dense <c>[queries × keys]</c> mask. The oracle the block-sparse kernels are tested
/// against, and the path for tensors they do not serve; it materialises the whole score matrix, so it is for checking
/// and fallback, not for speed.
/// </summary>
public static class PatternAttentionReference
{
    /// <summary>softmax(scale · Q Kᵀ, hidden where the pattern or the padding hides a key) V.</summary>
    /// <param name="query">Queries, <c>[batch, heads, seq, headDim]</c>.</param>
    /// <param name="key">Keys, <c>[batch, heads, seq, headDim]</c>.</param>
    /// <param name="value">Values, <c>[batch, heads, seq, headDim]</c>.</param>
    /// <param name="pattern">The declaration whose <see cref="PatternAttentionSpec.Sees"/> decides which keys each query sees.</param>
    /// <param name="causal">Whether the model is causal.</param>
    /// <param name="keyPaddingMask">Optional <c>[batch, seq]</c> bool mask, true where the key is a real token.</param>
    /// <returns><c>[batch, heads, seq, headDim]</c>; a query that sees no key gets zeros.</returns>
    public static Tensor Forward(Tensor query, Tensor key, Tensor value, PatternAttentionSpec pattern, bool causal, Tensor? keyPaddingMask = null)
    {
        AttentionShapes.Check(query, key, value, keyPaddingMask, pattern.AttributeName + " reference");
        if (query.shape[2] != key.shape[2])
            throw new ArgumentException(
                $"{pattern.AttributeName} reference: a pattern is self-attention over one sequence, so query {AttentionShapes.Shape(query)} and key {AttentionShapes.Shape(key)} need the same length.");
        using var scope = NewDisposeScope();
        var visible = Mask(pattern, (int)query.shape[2], causal, query.device);
        return FullAttentionReference.Forward(query, key, value, visible, keyPaddingMask).MoveToOuterDisposeScope();
    }

    /// <summary>The pattern of a sequence of <paramref name="length"/> tokens as a bool <c>[length, length]</c> tensor, true where the query sees the key.</summary>
    public static Tensor Mask(PatternAttentionSpec pattern, int length, bool causal, Device? device = null) =>
        tensor(pattern.VisibilityMask(length, causal), new long[] { length, length }, ScalarType.Bool, device);
}
