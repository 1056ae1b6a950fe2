using TorchSharp;
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

    /// <summary>Checks the shapes and works out the layout.</summary>
    /// <exception cref="ArgumentException">When the shapes disagree, naming them and the fix.</exception>
    public static LshLayout Of(Tensor queryKey, Tensor value, Tensor rotations, int bucketSize, Tensor? keyPaddingMask)
    {
        if (queryKey.dim() != 4 || !queryKey.shape.SequenceEqual(value.shape))
            throw new ArgumentException($"LSH attention expects shared query-keys and values as [batch, heads, seq, headDim] of one shape, but got {Shape(queryKey)} and {Shape(value)}.");
        long batch = queryKey.shape[0], heads = queryKey.shape[1], seq = queryKey.shape[2], headDim = queryKey.shape[3];
        long length = PaddedLength(seq, bucketSize), buckets = length / bucketSize;
        if (rotations.dim() != 4 || rotations.shape[0] != heads || rotations.shape[1] != headDim || rotations.shape[3] != buckets / 2)
            throw new ArgumentException($"LSH rotations must be [heads, headDim, rounds, buckets / 2] = [{heads}, {headDim}, rounds, {buckets / 2}] for seq {seq} and BucketSize {bucketSize}, but are {Shape(rotations)}; draw them with LshHashing.RandomRotations.");
        if (keyPaddingMask is not null && (keyPaddingMask.dim() != 2 || keyPaddingMask.shape[0] != batch || keyPaddingMask.shape[1] != seq))
            throw new ArgumentException($"keyPaddingMask must be [batch, seq] = [{batch}, {seq}], but is {Shape(keyPaddingMask)}.");
        return new LshLayout(batch, heads, seq, length, rotations.shape[2], buckets);
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

/// <summary>Random rotations for angular LSH, drawn fresh for each training forward pass.</summary>
public static class LshHashing
{
    /// <summary>
    /// Gaussian rotations <c>[heads, headDim, rounds, buckets / 2]</c> for a sequence of <paramref name="sequence"/>
    /// tokens. With <paramref name="seed"/> null they come from TorchSharp's default generator (so
    /// <c>torch.manual_seed</c> reproduces them, and a recomputation in the backward pass that replays the random
    /// stream draws them again); with a seed, from a generator of that seed (the same rotations every call).
    /// </summary>
    public static Tensor RandomRotations(long sequence, int heads, int headDim, int rounds, int bucketSize, long? seed, Device device, ScalarType dtype)
    {
        long buckets = LshLayout.PaddedLength(sequence, bucketSize) / bucketSize;
        var shape = new long[] { heads, headDim, rounds, buckets / 2 };
        if (seed is not long s)
            return randn(shape, dtype: dtype).to(device);
        using var generator = new Generator((ulong)s);
        return randn(shape, dtype: dtype, generator: generator).to(device);
    }

    /// <summary>Buckets <c>[batch, heads, rounds, length]</c> of <c>[batch, heads, length, headDim]</c> vectors: argmax over [x·R; −x·R].</summary>
    public static Tensor Buckets(Tensor x, Tensor rotations)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // [b, h, 1, length, d] · [1, h, rounds, d, buckets/2] → [b, h, rounds, length, buckets/2].
        var rotated = x.unsqueeze(2).matmul(rotations.permute(0, 2, 1, 3).unsqueeze(0).to(x.dtype));
        // argmax over [xR; −xR] without building it (at seq 16384 that concatenation alone is 256 MiB): the best of the
        // second half is the most negative entry of xR. Ties go to the first half, as argmax takes the first maximum.
        var (top, topIndex) = rotated.max(-1);
        var (bottom, bottomIndex) = rotated.min(-1);
        return where(top >= bottom.neg(), topIndex, bottomIndex + rotated.shape[^1]).MoveToOuterDisposeScope();
    }
}

/// <summary>Each round's order of positions sorted by (bucket, position), and the way back.</summary>
internal sealed class LshSorting
{
    private LshSorting(Tensor order, Tensor rank, long length)
    {
        Order = order;
        Rank = rank;
        Length = length;
    }

    /// <summary><c>[batch, heads, rounds, length]</c>: the position at each sorted index.</summary>
    public Tensor Order { get; }

    /// <summary><c>[batch, heads, rounds, length]</c>: the sorted index of each position.</summary>
    public Tensor Rank { get; }

    public long Length { get; }

    public static LshSorting Of(Tensor qk, Tensor rotations, int bucketSize)
    {
        long length = qk.shape[2];
        var buckets = LshHashing.Buckets(qk, rotations);
        var keys = buckets * length + arange(length, ScalarType.Int64, qk.device);
        var order = keys.argsort(-1);
        return new LshSorting(order, order.argsort(-1), length);
    }

    /// <summary>Each position's chunk (within its round) in each round: <c>[batch, heads, rounds, length]</c>.</summary>
    public Tensor ChunkOf(int bucketSize) => Rank.div(bucketSize, rounding_mode: RoundingMode.floor);

    /// <summary><c>[b, h, length, d]</c> → every round's sorted copy, <c>[b, h, rounds · length, d]</c>.</summary>
    public Tensor Gather(Tensor x)
    {
        long b = x.shape[0], h = x.shape[1], d = x.shape[3];
        // Whole rows by index from the flattened [b·h·length, d] (a row copy each, and index_add rows in backward),
        // rather than gather with an index expanded over d, which addresses every element on its own.
        var rows = Order.reshape(b, h, -1) + RowOffsets(b * h, Length, x.device).view(b, h, 1);
        return x.reshape(b * h * Length, d).index_select(0, rows.reshape(-1)).view(b, h, -1, d);
    }

    /// <summary><c>[b, h, rounds, length, d]</c> in sorted order → in position order.</summary>
    public Tensor Unsort(Tensor x)
    {
        long b = x.shape[0], h = x.shape[1], rounds = x.shape[2], d = x.shape[4];
        var rows = Rank + RowOffsets(b * h * rounds, Length, x.device).view(b, h, rounds, 1);
        return x.reshape(b * h * rounds * Length, d).index_select(0, rows.reshape(-1)).view(b, h, rounds, Length, d);
    }

    // The first row of each of `groups` consecutive blocks of `length` rows.
    private static Tensor RowOffsets(long groups, long length, Device device) =>
        arange(groups, ScalarType.Int64, device) * length;
}
