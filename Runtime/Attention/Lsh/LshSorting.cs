using static TorchSharp.torch;

namespace XformerDsl.Attention.Lsh;

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
