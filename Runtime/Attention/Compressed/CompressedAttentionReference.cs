using XformerDsl.Attention.Full;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Compressed;

/// <summary>
/// Causal attention over compressed keys, composed from TorchSharp ops: the oracle the generated causal kernel of
/// <c>[CompressedAttention]</c> is tested against, and its path for tensors the kernel does not serve. Key 0 is the null
/// key; key j ≥ 1 is slot j − 1, positions (j − 1)·ratio … j·ratio − 1, and query i sees it only when all of them are at
/// or before i: j·ratio − 1 ≤ i.
/// </summary>
public static class CompressedAttentionReference
{
    /// <summary>
    /// softmax(Q Kᵀ / √headDim) V where query i sees key j when j·ratio − 1 ≤ i (so always the null key 0), and the
    /// key-padding mask allows it.
    /// </summary>
    /// <param name="query">Queries, <c>[batch, heads, queries, headDim]</c>.</param>
    /// <param name="key">The null key then the compressed keys, <c>[batch, heads, keys, headDim]</c>.</param>
    /// <param name="value">Values of the same shape.</param>
    /// <param name="ratio">Positions per slot.</param>
    /// <param name="keyPaddingMask">Null, or bool <c>[batch, keys]</c>, true for a visible key.</param>
    public static Tensor Forward(Tensor query, Tensor key, Tensor value, int ratio, Tensor? keyPaddingMask)
    {
        using var scope = NewDisposeScope();
        var pattern = CausalSlots(query.shape[2], key.shape[2], ratio, query.device);
        return FullAttentionReference.Forward(query, key, value, pattern, keyPaddingMask).MoveToOuterDisposeScope();
    }

    /// <summary>The causal slot rule as a bool <c>[queries, keys]</c> pattern: true where j·ratio − 1 ≤ i.</summary>
    public static Tensor CausalSlots(long queries, long keys, int ratio, Device device)
    {
        using var scope = NewDisposeScope();
        var query = arange(queries, ScalarType.Int64, device).unsqueeze(1);
        var lastPosition = arange(keys, ScalarType.Int64, device).unsqueeze(0) * ratio - 1;
        return lastPosition.le(query).MoveToOuterDisposeScope();
    }
}
