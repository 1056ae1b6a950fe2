using static TorchSharp.torch;

namespace XformerDsl.Attention.Sorted;

/// <summary>
/// The sort → chunk → unsort pipeline of attention families that attend within chunks of a reordered sequence (LSH's
/// buckets, routing attention's clusters, Sinkhorn attention's sorted blocks). In each of several rounds the positions
/// are sorted by (group, position), the rows gathered in that order and cut into chunks of <see cref="ChunkSize"/>; each
/// chunk attends to itself and the previous chunk of its round, the first chunk to the round's last
/// (<see cref="SortedChunkAttentionReference"/>). Afterwards the rows go back to position order and the rounds are combined by their
/// log-sum-exp (<see cref="CombineRounds"/>), which makes the result the softmax over the union of the rounds' windows.
/// <para>
/// A family supplies its group of every position in every round (an LSH bucket, a cluster, a block's sorted rank), its
/// chunk size (the length, padded as the family needs, a multiple of it with at least two chunks per round), and its own
/// score rule for each chunk's window: masks, self-attention, duplicates across rounds
/// (<see cref="SortedChunkAttentionReference.ScoreRule"/> in the composed path, the generated kernel's mask step in the fused one).
/// </para>
/// </summary>
public sealed class SortedChunks
{
    private SortedChunks(Tensor order, Tensor rank, int chunkSize)
    {
        Order = order;
        Rank = rank;
        ChunkSize = chunkSize;
        ChunkOf = rank.div(chunkSize, rounding_mode: RoundingMode.floor);
    }

    /// <summary><c>[batch, heads, rounds, length]</c>: the position at each sorted index.</summary>
    public Tensor Order { get; }

    /// <summary><c>[batch, heads, rounds, length]</c>: the sorted index of each position (the inverse of <see cref="Order"/>).</summary>
    public Tensor Rank { get; }

    /// <summary><c>[batch, heads, rounds, length]</c>: each position's chunk within its round.</summary>
    public Tensor ChunkOf { get; }

    /// <summary>Positions per chunk.</summary>
    public int ChunkSize { get; }

    /// <summary>Rounds of sorting.</summary>
    public long Rounds => Order.shape[2];

    /// <summary>Positions per round.</summary>
    public long Length => Order.shape[3];

    /// <summary><c>[batch, heads, rounds · length]</c>: the position of each sorted row, every round's in turn.</summary>
    public Tensor Positions => Order.reshape(Order.shape[0], Order.shape[1], -1);

    /// <summary>What a fused chunk kernel reads of this sorting.</summary>
    public SortedChunkPlan Plan => SortedChunkPlan.Of(Positions, ChunkOf, ChunkSize);

    /// <summary>
    /// Sorts each round's positions by (group, position): <paramref name="groups"/> is int64
    /// <c>[batch, heads, rounds, length]</c>, each position's group in each round (non-negative, below length).
    /// </summary>
    /// <exception cref="ArgumentException">When the length is not a multiple of <paramref name="chunkSize"/>.</exception>
    public static SortedChunks Of(Tensor groups, int chunkSize)
    {
        if (groups.dim() != 4 || groups.shape[3] % chunkSize != 0)
            throw new ArgumentException($"Sorted chunks need groups as [batch, heads, rounds, length] with length a multiple of the chunk size {chunkSize}, but got [{string.Join(", ", groups.shape)}].");
        var (order, rank) = Sort(groups);
        return new SortedChunks(order, rank, chunkSize);
    }

    /// <summary>
    /// Each round's positions sorted by (group, position): the position at each sorted index and the sorted index of each
    /// position, both <c>[batch, heads, rounds, length]</c>, from int64 <paramref name="groups"/> of that shape
    /// (non-negative). Within a group the sorted order is the position order.
    /// </summary>
    public static (Tensor Order, Tensor Rank) Sort(Tensor groups)
    {
        long length = groups.shape[^1];
        // One key per position: the group first, the position to break ties, so the order is the same on every run.
        var keys = groups * length + arange(length, ScalarType.Int64, groups.device);
        var order = keys.argsort(-1);
        return (order, order.argsort(-1));
    }

    /// <summary><c>[batch, heads, length, d]</c> → every round's sorted copy, <c>[batch, heads, rounds · length, d]</c>.</summary>
    public Tensor Gather(Tensor x)
    {
        long b = x.shape[0], h = x.shape[1], d = x.shape[3];
        // Whole rows by index from the flattened [b·h·length, d] (a row copy each, and index_add rows in backward),
        // rather than gather with an index expanded over d, which addresses every element on its own.
        var rows = Positions + RowOffsets(b * h, Length, x.device).view(b, h, 1);
        return x.reshape(b * h * Length, d).index_select(0, rows.reshape(-1)).view(b, h, -1, d);
    }

    /// <summary><c>[batch, heads, rounds, length, d]</c> in sorted order → in position order.</summary>
    public Tensor Unsort(Tensor x)
    {
        long b = x.shape[0], h = x.shape[1], rounds = x.shape[2], d = x.shape[4];
        var rows = Rank + RowOffsets(b * h * rounds, Length, x.device).view(b, h, rounds, 1);
        return x.reshape(b * h * rounds * Length, d).index_select(0, rows.reshape(-1)).view(b, h, rounds, Length, d);
    }

    /// <summary>
    /// Puts the attended rows <c>[batch, heads, rounds · length, d]</c> and their log-sum-exp <c>[batch, heads, rounds · length]</c>
    /// (both in sorted order) back in position order and combines the rounds, each weighted by the softmax over rounds of its
    /// log-sum-exp: the softmax over the union of the rounds' windows. Returns <c>[batch, heads, length, d]</c>.
    /// </summary>
    public Tensor CombineRounds(Tensor attended, Tensor logSumExp)
    {
        long b = attended.shape[0], h = attended.shape[1], d = attended.shape[3];
        var output = Unsort(attended.view(b, h, Rounds, Length, d));
        var roundLogSumExp = Unsort(logSumExp.view(b, h, Rounds, Length, 1));
        var weights = roundLogSumExp.softmax(2);
        return (output * weights).sum(2);
    }

    // The first row of each of `groups` consecutive blocks of `length` rows.
    private static Tensor RowOffsets(long groups, long length, Device device) =>
        arange(groups, ScalarType.Int64, device) * length;
}
