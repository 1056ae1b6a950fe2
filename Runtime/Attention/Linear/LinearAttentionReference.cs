using static TorchSharp.torch;

namespace XformerDsl.Attention.Linear;

/// <summary>
/// Kernelized linear attention composed from plain TorchSharp ops, given the features φ(Q) and φ(K): the oracle the
/// fused kernels are tested against and the path for tensors they do not serve. Bidirectional attention is the two small
/// products φ(Q) (φ(K)ᵀ V); causal attention is the masked product tril(φ(Q) φ(K)ᵀ) V, which materialises
/// <c>[queries × keys]</c> weights but never a <c>[seq × m × headDim]</c> tensor, and shares no code with the kernels'
/// chunked form.
/// </summary>
public static class LinearAttentionReference
{
    /// <summary>
    /// <c>out_i = Σ_j (φ(q_i)·φ(k_j)) v_j / Σ_j φ(q_i)·φ(k_j)</c> over the keys j query i sees (j ≤ i when causal, real
    /// tokens only). Features must not be negative (every map of <see cref="LinearFeatureMaps"/> is), so a query whose
    /// normaliser is 0 has a numerator of 0 too: it attends nothing and gets zeros, with finite gradients.
    /// </summary>
    /// <param name="featureQuery">φ(Q), <c>[batch, heads, queries, features]</c>.</param>
    /// <param name="featureKey">φ(K), <c>[batch, heads, keys, features]</c>.</param>
    /// <param name="value">Values, <c>[batch, heads, keys, headDim]</c>.</param>
    /// <param name="causal">Query i sees keys 0..i only (queries and keys aligned at position 0).</param>
    /// <param name="keyPaddingMask">Null, or bool <c>[batch, keys]</c>, true where the key is a real token.</param>
    /// <returns><c>[batch, heads, queries, headDim]</c>.</returns>
    public static Tensor Forward(Tensor featureQuery, Tensor featureKey, Tensor value, bool causal, Tensor? keyPaddingMask)
    {
        AttentionShapes.Check(featureQuery, featureKey, value, keyPaddingMask, nameof(LinearAttentionReference));
        using var scope = NewDisposeScope();
        // Padded keys leave both the numerator and the normaliser: their features become zero.
        if (keyPaddingMask is not null)
            featureKey = featureKey * keyPaddingMask.to(featureKey.dtype).unsqueeze(1).unsqueeze(-1);
        Tensor numerator, normaliser;
        if (causal)
        {
            var weights = featureQuery.matmul(featureKey.transpose(-2, -1)).tril();
            numerator = weights.matmul(value);
            normaliser = weights.sum(-1, keepdim: true);
        }
        else
        {
            numerator = featureQuery.matmul(featureKey.transpose(-2, -1).matmul(value));
            normaliser = featureQuery.matmul(featureKey.sum(-2).unsqueeze(-1));
        }
        // A zero normaliser comes with a zero numerator; dividing by 1 there gives zeros without a NaN gradient.
        var safe = where(normaliser > 0, normaliser, ones_like(normaliser));
        return (numerator / safe).MoveToOuterDisposeScope();
    }
}
