using XformerDsl.Attention.Sorted;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Lsh;

/// <summary>
/// LSH attention (Kitaev, Kaiser &amp; Levskaya, 2020, "Reformer: The Efficient Transformer", §2) composed from
/// TorchSharp ops: the oracle for the fused bucketed-chunk kernel, and the path for tensors the kernel does not serve.
/// <list type="number">
/// <item>The sequence is padded to <see cref="LshLayout.PaddedLength"/>, a multiple of 2·BucketSize (padded keys are hidden).</item>
/// <item>Hashing, per round: bucket = argmax([x·R; −x·R]) for a random rotation R of <c>[headDim, buckets/2]</c>
/// (angular LSH, Andoni et al. 2015), with buckets = padded length / BucketSize, an even number.</item>
/// <item>Per round, positions are sorted by (bucket, position) and cut into chunks of BucketSize; each chunk attends to
/// itself and the previous chunk of the same round (the first chunk to the round's last).</item>
/// <item>Queries are the shared projection, keys its unit-normalised copy; scores are scaled by 1/√headDim. A key later
/// than the query is hidden when causal (by original positions); a query scores itself −5·10⁴, so it attends to
/// itself only when it has no other target; hidden keys score −10⁹ (finite, so nothing becomes NaN).</item>
/// <item>A key in a query's window in several rounds is counted once: each score is lowered by the log of the number
/// of rounds whose window holds the pair. Rounds are combined by their log-sum-exp, which makes the result the
/// softmax over the union of the rounds' windows.</item>
/// </list>
/// Sorting, gathering, the chunk windows, unsorting and the log-sum-exp combination are the shared
/// <see cref="SortedChunks"/> pipeline; hashing, the shared-QK keys and the score rule (self-mask, duplicates, hidden keys) are LSH's.
/// Unlike trax and reformer-pytorch, the look-back wraps within a round rather than into the previous round, so the
/// duplicate count is exact: with one bucket covering the whole sequence this is exactly full attention with shared
/// QK and the self-mask.
/// </summary>
public static class LshAttentionReference
{
    /// <summary>A query's score against itself: low, so a token attends to itself only when it has no other target.</summary>
    public const double SelfScore = -5e4;

    /// <summary>The score of a hidden key (padding, or later than the query when causal).</summary>
    public const double HiddenScore = -1e9;

    /// <summary>
    /// LSH attention of <c>[batch, heads, seq, headDim]</c> shared query-keys <paramref name="queryKey"/> over values
    /// <paramref name="value"/>, hashed with <paramref name="rotations"/> (see <see cref="LshHashing.RandomRotations"/>).
    /// </summary>
    /// <returns>The attended values, <c>[batch, heads, seq, headDim]</c>.</returns>
    public static Tensor Forward(Tensor queryKey, Tensor value, Tensor rotations, int bucketSize, bool causal, Tensor? keyPaddingMask) =>
        Attend(queryKey, value, rotations, bucketSize, causal, keyPaddingMask, ChunkAttention);

    /// <summary>
    /// The attention of sorted rows in chunks, as the fused kernel computes it: query, key and value
    /// <c>[batch, heads, rounds · length, headDim]</c> in each round's sorted order (keys already normalised), the position of
    /// each sorted row <c>[batch, heads, rounds · length]</c>, each position's chunk in each round <c>[batch, heads, rounds, length]</c>
    /// and which positions are visible keys <c>[batch, length]</c>. Returns the attended rows and their log-sum-exp
    /// <c>[batch, heads, rounds · length]</c>.
    /// </summary>
    public delegate (Tensor Output, Tensor LogSumExp) SortedChunkAttention(Tensor query, Tensor key, Tensor value,
        Tensor positions, Tensor chunkOf, Tensor valid, int bucketSize, bool causal);

    /// <summary>
    /// Everything around the chunk attention: pad, hash, sort and gather; run <paramref name="chunkAttention"/> on the
    /// sorted rows; put the rows back in position order and combine the rounds by their log-sum-exp.
    /// </summary>
    public static Tensor Attend(Tensor queryKey, Tensor value, Tensor rotations, int bucketSize, bool causal, Tensor? keyPaddingMask,
        SortedChunkAttention chunkAttention)
    {
        using var scope = NewDisposeScope();
        var layout = LshLayout.Of(queryKey, value, rotations, bucketSize, keyPaddingMask);
        var (qk, v, valid) = layout.Pad(queryKey, value, keyPaddingMask);
        var sorted = SortedChunks.Of(LshHashing.Buckets(qk, rotations), bucketSize);

        var q = sorted.Gather(qk);
        var k = nn.functional.normalize(q, p: 2, dim: -1);
        var (attended, logSumExp) = chunkAttention(q, k, sorted.Gather(v), sorted.Positions, sorted.ChunkOf, valid, bucketSize, causal);
        return sorted.CombineRounds(attended, logSumExp).narrow(2, 0, queryKey.shape[2]).MoveToOuterDisposeScope();
    }

    /// <summary>The chunk attention composed from TorchSharp ops (see <see cref="SortedChunkAttention"/>): the oracle of the fused kernel.</summary>
    public static (Tensor Output, Tensor LogSumExp) ChunkAttention(Tensor query, Tensor key, Tensor value,
        Tensor positions, Tensor chunkOf, Tensor valid, int bucketSize, bool causal) =>
        SortedChunkAttentionReference.Compose(query, key, value, positions, chunkOf.shape[2], bucketSize,
            (scores, queryPositions, keyPositions) => ScoreRule(scores, queryPositions, keyPositions, chunkOf, valid, causal));

    // LSH's part of the chunk scores: duplicates across rounds, the self-mask, hidden keys.
    private static Tensor ScoreRule(Tensor scores, Tensor queryPositions, Tensor keyPositions, Tensor chunkOf, Tensor valid, bool causal)
    {
        long batch = scores.shape[0], heads = scores.shape[1], chunks = chunkOf.shape[3] / queryPositions.shape[^1];
        var qPos = queryPositions.unsqueeze(-1);
        var kPos = keyPositions.unsqueeze(-2);

        // Duplicates: the number of rounds whose window holds (query, key); never below 1 for a pair in a window.
        var qChunks = GatherPositions(chunkOf, queryPositions);   // [b, h, r, c, bucket, rounds]
        var kChunks = GatherPositions(chunkOf, keyPositions);     // [b, h, r, c, 2·bucket, rounds]
        var same = qChunks.unsqueeze(-2).eq(kChunks.unsqueeze(-3));
        var behind = qChunks.unsqueeze(-2).eq((kChunks.unsqueeze(-3) + 1).remainder(chunks));
        var duplicates = same.to(scores.dtype).sum(-1) + behind.to(scores.dtype).sum(-1);
        scores = scores - duplicates.clamp_min(1).log();

        // Masks: self, then hidden keys (padding; later positions when causal).
        scores = scores.masked_fill(qPos.eq(kPos), SelfScore);
        var hidden = GatherValid(valid, keyPositions, batch, heads).unsqueeze(-2).logical_not();
        if (causal)
            hidden = hidden.logical_or(kPos.gt(qPos));
        return scores.masked_fill(hidden, HiddenScore);
    }

    // x[b, h, rounds, length] indexed by positions [b, h, r, c, n] → [b, h, r, c, n, rounds].
    private static Tensor GatherPositions(Tensor x, Tensor positions)
    {
        long b = x.shape[0], h = x.shape[1], rounds = x.shape[2];
        var flat = positions.reshape(b, h, 1, -1).expand(b, h, rounds, -1);
        var gathered = x.gather(3, flat);   // [b, h, rounds, r·c·n]
        var shape = positions.shape.Append(rounds).ToArray();
        return gathered.permute(0, 1, 3, 2).reshape(shape);
    }

    // valid[b, length] indexed by positions [b, h, r, c, n].
    private static Tensor GatherValid(Tensor valid, Tensor positions, long batch, long heads) =>
        valid.view(batch, 1, -1).expand(batch, heads, -1).gather(2, positions.reshape(batch, heads, -1)).view(positions.shape);
}
