using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using XformerDsl.Kernels;
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
        if (CanStepInPlace(featureQuery, featureKey, value, active))
            return featureQuery.dtype == ScalarType.Float32
                ? StepInPlace<float>(featureQuery, featureKey, value, active)
                : StepInPlace<double>(featureQuery, featureKey, value, active);
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

    // One loop over (sequence, head) on the CPU instead of a dozen TorchSharp operations: at generation a step's few
    // thousand multiply-adds per head cost less than dispatching one operation, so the operations were the step's cost.
    // Without gradients only (the state is updated in place anyway), float32 or float64, rows read where they lie.
    private bool CanStepInPlace(Tensor featureQuery, Tensor featureKey, Tensor value, Tensor? active) =>
        TensorMemory.ComputableByCpuLoop(Sums, featureQuery, featureKey, value) && (active is null || active.device_type == TorchSharp.DeviceType.CPU);

    private unsafe Tensor StepInPlace<T>(Tensor featureQuery, Tensor featureKey, Tensor value, Tensor? active)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = (int)Sums.shape[0], heads = (int)Sums.shape[1], features = (int)Sums.shape[2], headDim = (int)Sums.shape[3];
        // [batch, 1, heads, headDim] in memory, returned as [batch, heads, 1, headDim]: merging the heads after is free.
        var output = empty(new long[] { batch, 1, heads, headDim }, Sums.dtype, Sums.device);
        using (NewDisposeScope())
        {
            var queryRows = TensorMemory.HeadRowsOf<T>(TensorMemory.Readable(featureQuery));
            var keyRows = TensorMemory.HeadRowsOf<T>(TensorMemory.Readable(featureKey));
            var valueRows = TensorMemory.HeadRowsOf<T>(TensorMemory.Readable(value));
            var outputRows = TensorMemory.HeadRowsOf<T>(output.transpose(1, 2));
            var taking = active?.to(ScalarType.Bool).contiguous();
            bool* takes = taking is null ? null : TensorMemory.Pointer<bool>(taking);
            T* sums = TensorMemory.Pointer<T>(Sums);
            T* normaliser = TensorMemory.Pointer<T>(Normaliser);
            for (int batchHead = 0; batchHead < batch * heads; batchHead++)
            {
                T* s = sums + (long)batchHead * features * headDim;
                var z = new Span<T>(normaliser + (long)batchHead * features, features);
                var q = new ReadOnlySpan<T>(queryRows.Row(batchHead, heads, 0), features);
                var k = new ReadOnlySpan<T>(keyRows.Row(batchHead, heads, 0), features);
                var v = new ReadOnlySpan<T>(valueRows.Row(batchHead, heads, 0), headDim);
                var o = new Span<T>(outputRows.Row(batchHead, heads, 0), headDim);
                if (takes is null || takes[batchHead / heads])
                {
                    for (int f = 0; f < features; f++)
                    {
                        var row = new Span<T>(s + (long)f * headDim, headDim);
                        TensorPrimitives.MultiplyAdd(v, k[f], row, row);
                    }
                    TensorPrimitives.Add(z, k, z);
                }
                o.Clear();
                for (int f = 0; f < features; f++)
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<T>(s + (long)f * headDim, headDim), q[f], o, o);
                // As the composed form: a query whose normaliser is 0 (it sees no key) keeps its numerator, zeros.
                T normalisation = TensorPrimitives.Dot(q, z);
                if (normalisation > T.Zero)
                    TensorPrimitives.Divide(o, normalisation, o);
            }
        }
        return output.transpose(1, 2);
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
