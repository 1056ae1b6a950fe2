using XformerDsl.Attention.Sorted;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Lsh;

/// <summary>
/// Causal LSH attention whose output at position t depends on positions up to t only (the default of causal
/// <c>[LshAttention]</c>, <c>CausalWindow = PreviousInBucket</c>). Hashing is the paper's (bucket = argmax([x·R; −x·R]),
/// queries the shared projection, keys its unit-normalised copy, scores scaled by 1/√headDim), with a fixed number of
/// buckets whatever the length (the rotations decide it: a model draws them for MaxLength). In each round a query
/// attends to the <c>bucketSize</c> latest earlier keys of its own bucket, which in (bucket, position) order are the rows
/// just before it, and to itself once with <see cref="LshAttentionReference.SelfScore"/>; a key in its window in several
/// rounds is counted once; padded keys are hidden (<see cref="CausalGroupWindows"/>). No sequence padding is needed.
/// </summary>
public static class LshCausalAttention
{
    /// <summary>
    /// Attends <c>[batch, heads, seq, headDim]</c> shared query-keys <paramref name="queryKey"/> over values
    /// <paramref name="value"/>, hashed with <paramref name="rotations"/> <c>[heads, headDim, rounds, buckets / 2]</c> (see
    /// <see cref="LshHashing.RandomRotations"/>), on the fused kernel where it serves the tensors and composed otherwise.
    /// </summary>
    /// <returns>The attended values, <c>[batch, heads, seq, headDim]</c>.</returns>
    /// <exception cref="ArgumentException">When the shapes or dtypes disagree, naming them.</exception>
    public static Tensor Attend(Tensor queryKey, Tensor value, Tensor rotations, int bucketSize, Tensor? keyPaddingMask)
    {
        using var scope = NewDisposeScope();
        var (key, windows, valid) = Prepare(queryKey, value, rotations, bucketSize, keyPaddingMask);
        return CausalGroupWindowAttention.Attend(queryKey, key, value, windows, valid, LshAttentionReference.SelfScore).MoveToOuterDisposeScope();
    }

    /// <summary>The same attention composed from TorchSharp ops (<see cref="CausalGroupWindowReference"/>): the oracle of the fused path.</summary>
    public static Tensor Forward(Tensor queryKey, Tensor value, Tensor rotations, int bucketSize, Tensor? keyPaddingMask)
    {
        using var scope = NewDisposeScope();
        var (key, windows, valid) = Prepare(queryKey, value, rotations, bucketSize, keyPaddingMask);
        return CausalGroupWindowReference.Compose(queryKey, key, value, windows, valid, LshAttentionReference.SelfScore).Output.MoveToOuterDisposeScope();
    }

    // Checks the shapes, hashes, sorts, and normalises the keys.
    private static (Tensor Key, CausalGroupWindows Windows, Tensor Valid) Prepare(Tensor queryKey, Tensor value, Tensor rotations,
        int bucketSize, Tensor? keyPaddingMask)
    {
        if (queryKey.dim() != 4 || !queryKey.shape.SequenceEqual(value.shape))
            throw new ArgumentException($"LSH attention expects shared query-keys and values as [batch, heads, seq, headDim] of one shape, but got {Shape(queryKey)} and {Shape(value)}.");
        if (queryKey.dtype != value.dtype || rotations.dtype != queryKey.dtype)
            throw new ArgumentException($"LSH attention expects query-keys, values and rotations of one dtype, but got {queryKey.dtype}, {value.dtype} and {rotations.dtype}; convert them to one (the model's dtype).");
        long batch = queryKey.shape[0], heads = queryKey.shape[1], seq = queryKey.shape[2], headDim = queryKey.shape[3];
        if (rotations.dim() != 4 || rotations.shape[0] != heads || rotations.shape[1] != headDim)
            throw new ArgumentException($"LSH rotations must be [heads, headDim, rounds, buckets / 2] = [{heads}, {headDim}, rounds, buckets / 2], but are {Shape(rotations)}; draw them with LshHashing.RandomRotations.");
        if (keyPaddingMask is not null && (keyPaddingMask.dim() != 2 || keyPaddingMask.shape[0] != batch || keyPaddingMask.shape[1] != seq))
            throw new ArgumentException($"keyPaddingMask must be [batch, seq] = [{batch}, {seq}], but is {Shape(keyPaddingMask)}.");
        var windows = CausalGroupWindows.Of(LshHashing.Buckets(queryKey, rotations), bucketSize);
        var valid = keyPaddingMask?.to(ScalarType.Bool) ?? ones(new[] { batch, seq }, ScalarType.Bool, queryKey.device);
        return (nn.functional.normalize(queryKey, p: 2, dim: -1), windows, valid);
    }

    private static string Shape(Tensor t) => "[" + string.Join(", ", t.shape) + "]";
}
