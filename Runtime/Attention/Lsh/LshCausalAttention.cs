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
        LshLayout.CheckInputs(queryKey, value, rotations, keyPaddingMask);
        long batch = queryKey.shape[0], seq = queryKey.shape[2];
        var windows = CausalGroupWindows.Of(LshHashing.Buckets(queryKey, rotations), bucketSize);
        var valid = keyPaddingMask?.to(ScalarType.Bool) ?? ones(new[] { batch, seq }, ScalarType.Bool, queryKey.device);
        return (nn.functional.normalize(queryKey, p: 2, dim: -1), windows, valid);
    }
}
