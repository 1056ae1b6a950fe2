using static TorchSharp.torch;

namespace XformerDsl.Attention.Linear;

/// <summary>
/// Causal linear attention as an RNN (Katharopoulos et al., 2020, section 3.4): per sequence and head the state
/// S = Σ φ(k_j) v_jᵀ (m × headDim) and z = Σ φ(k_j) (m) over the keys so far. A new token adds its key, then its query
/// reads <c>φ(q)ᵀ S / φ(q)·z</c>, which equals the parallel causal attention at that position. Memory is fixed.
/// </summary>
public sealed class LinearAttentionState : XformerDsl.Modules.ILayerState
{
    /// <summary>A zero state for <paramref name="batch"/> sequences.</summary>
    public LinearAttentionState(long batch, int heads, int features, int headDim, Device device, ScalarType dtype)
    {
        Sums = zeros(new long[] { batch, heads, features, headDim }, dtype, device).DetachFromDisposeScope();
        Normaliser = zeros(new long[] { batch, heads, features, 1 }, dtype, device).DetachFromDisposeScope();
    }

    /// <summary>S, <c>[batch, heads, features, headDim]</c>.</summary>
    public Tensor Sums { get; }

    /// <summary>z, <c>[batch, heads, features, 1]</c>.</summary>
    public Tensor Normaliser { get; }

    /// <summary>Elements held.</summary>
    public long Elements => Sums.numel() + Normaliser.numel();

    /// <summary>
    /// Adds one key and value per sequence (for the <paramref name="active"/> ones) and returns the attention of the new
    /// queries, <c>[batch, heads, 1, headDim]</c>; a query whose normaliser is 0 gets zeros, as in the parallel form.
    /// </summary>
    /// <param name="featureQuery">φ(q), <c>[batch, heads, 1, features]</c>.</param>
    /// <param name="featureKey">φ(k), <c>[batch, heads, 1, features]</c>.</param>
    /// <param name="value">v, <c>[batch, heads, 1, headDim]</c>.</param>
    /// <param name="active">Null, or bool <c>[batch]</c>: sequences that take this token.</param>
    public Tensor Step(Tensor featureQuery, Tensor featureKey, Tensor value, Tensor? active)
    {
        if (featureKey.dim() != 4 || featureKey.shape[2] != 1 || !featureKey.shape.SequenceEqual(featureQuery.shape)
            || featureKey.shape[^1] != Sums.shape[2] || value.shape[^1] != Sums.shape[3] || featureKey.shape[0] != Sums.shape[0])
            throw new ArgumentException(
                $"LinearAttentionState.Step: expected φ(q), φ(k) [{Sums.shape[0]}, {Sums.shape[1]}, 1, {Sums.shape[2]}] and v [{Sums.shape[0]}, {Sums.shape[1]}, 1, {Sums.shape[3]}]; " +
                $"got {AttentionShapes.Shape(featureQuery)}, {AttentionShapes.Shape(featureKey)}, {AttentionShapes.Shape(value)}.");
        using var scope = NewDisposeScope();
        var key = featureKey.transpose(-2, -1);                 // [batch, heads, features, 1]
        if (active is not null)
            key = key * active.to(key.dtype).view(-1, 1, 1, 1);
        Sums.add_(key.matmul(value));
        Normaliser.add_(key);
        var numerator = featureQuery.matmul(Sums);              // [batch, heads, 1, headDim]
        var normaliser = featureQuery.matmul(Normaliser);       // [batch, heads, 1, 1]
        var safe = where(normaliser > 0, normaliser, ones_like(normaliser));
        return (numerator / safe).MoveToOuterDisposeScope();
    }

    /// <summary>Sequence b takes the sums and normaliser of sequence <c>batchIndices[b]</c> (beam search), in place.</summary>
    /// <param name="batchIndices">Int64 <c>[batch]</c>, values in [0, batch).</param>
    public void Reorder(Tensor batchIndices)
    {
        using var scope = NewDisposeScope();
        var indices = XformerDsl.Modules.BatchIndices.Check(batchIndices, Sums.shape[0], Sums.device, nameof(LinearAttentionState));
        Sums.copy_(Sums.index_select(0, indices));
        Normaliser.copy_(Normaliser.index_select(0, indices));
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        Sums.Dispose();
        Normaliser.Dispose();
    }
}
