using static TorchSharp.torch;

namespace XformerDsl.Attention.Lsh;

/// <summary>
/// The sizes LSH attention works with for one call: the sequence padded to a multiple of 2·BucketSize, and as many
/// buckets (and chunks per round) as BucketSize-long pieces of it, always an even number.
/// </summary>
public sealed record LshLayout(long Batch, long Heads, long Sequence, long Length, long Rounds, long ChunksPerRound)
{
    /// <summary>The padded length: <paramref name="sequence"/> rounded up to a multiple of 2·<paramref name="bucketSize"/>.</summary>
    public static long PaddedLength(long sequence, int bucketSize) => (sequence + 2L * bucketSize - 1) / (2L * bucketSize) * 2L * bucketSize;

    /// <summary>
    /// Bytes of one sorted copy of <c>[batch, heads, seq, headDim]</c> rows over every hashing round: each round gathers
    /// the whole padded sequence in bucket order.
    /// </summary>
    public static long SortedRoundsBytes(long batch, long heads, long sequence, long headDim, long rounds, int bucketSize, long elementSize) =>
        batch * heads * rounds * PaddedLength(sequence, bucketSize) * headDim * elementSize;

    /// <summary>Checks the shapes and works out the layout.</summary>
    /// <exception cref="ArgumentException">When the shapes disagree, naming them and the fix.</exception>
    public static LshLayout Of(Tensor queryKey, Tensor value, Tensor rotations, int bucketSize, Tensor? keyPaddingMask)
    {
        CheckInputs(queryKey, value, rotations, keyPaddingMask, bucketSize);
        long seq = queryKey.shape[2], length = PaddedLength(seq, bucketSize), buckets = length / bucketSize;
        return new LshLayout(queryKey.shape[0], queryKey.shape[1], seq, length, rotations.shape[2], buckets);
    }

    /// <summary>
    /// Checks LSH attention's inputs: query-keys and values <c>[batch, heads, seq, headDim]</c> of one shape and dtype,
    /// rotations <c>[heads, headDim, rounds, buckets / 2]</c> of that dtype, and a <c>[batch, seq]</c> padding mask or none.
    /// With <paramref name="bucketSize"/> the buckets must be those of the padded sequence (the sorted chunks); without,
    /// any number (the causal window, whose models hash into the buckets of MaxLength).
    /// </summary>
    /// <exception cref="ArgumentException">When the shapes disagree, naming them and the fix.</exception>
    public static void CheckInputs(Tensor queryKey, Tensor value, Tensor rotations, Tensor? keyPaddingMask, int? bucketSize = null)
    {
        if (queryKey.dim() != 4 || !queryKey.shape.SequenceEqual(value.shape))
            throw new ArgumentException($"LSH attention expects shared query-keys and values as [batch, heads, seq, headDim] of one shape, but got {Shape(queryKey)} and {Shape(value)}.");
        if (queryKey.dtype != value.dtype || rotations.dtype != queryKey.dtype)
            throw new ArgumentException($"LSH attention expects query-keys, values and rotations of one dtype, but got {queryKey.dtype}, {value.dtype} and {rotations.dtype}; convert them to one (the model's dtype).");
        long batch = queryKey.shape[0], heads = queryKey.shape[1], seq = queryKey.shape[2], headDim = queryKey.shape[3];
        long? half = bucketSize is int size ? PaddedLength(seq, size) / size / 2 : null;
        if (rotations.dim() != 4 || rotations.shape[0] != heads || rotations.shape[1] != headDim || (half is long h && rotations.shape[3] != h))
            throw new ArgumentException($"LSH rotations must be [heads, headDim, rounds, buckets / 2] = [{heads}, {headDim}, rounds, {(half is long b ? $"{b}] for seq {seq} and BucketSize {bucketSize}" : "buckets / 2]")}, but are {Shape(rotations)}; draw them with LshHashing.RandomRotations.");
        if (keyPaddingMask is not null && (keyPaddingMask.dim() != 2 || keyPaddingMask.shape[0] != batch || keyPaddingMask.shape[1] != seq))
            throw new ArgumentException($"keyPaddingMask must be [batch, seq] = [{batch}, {seq}], but is {Shape(keyPaddingMask)}.");
    }

    /// <summary>The inputs padded with zeros to <see cref="Length"/>, and which positions are real visible keys, bool <c>[batch, length]</c>.</summary>
    public (Tensor QueryKey, Tensor Value, Tensor Valid) Pad(Tensor queryKey, Tensor value, Tensor? keyPaddingMask)
    {
        long extra = Length - Sequence;
        var valid = keyPaddingMask?.to(ScalarType.Bool) ?? ones(new[] { Batch, Sequence }, ScalarType.Bool, queryKey.device);
        if (extra == 0)
            return (queryKey, value, valid);
        return (nn.functional.pad(queryKey, new[] { 0L, 0, 0, extra }), nn.functional.pad(value, new[] { 0L, 0, 0, extra }),
            cat([valid, zeros(new[] { Batch, extra }, ScalarType.Bool, queryKey.device)], 1));
    }

    private static string Shape(Tensor t) => "[" + string.Join(", ", t.shape) + "]";
}
