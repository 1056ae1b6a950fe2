using TorchSharp;
using XformerDsl.Attention.Sorted;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Attention.Sorted;

/// <summary>
/// The shared sort → chunk → unsort pipeline against plain computations that do not use it: the order is a stable sort
/// by group, unsorting undoes gathering, chunk attention is dense attention with the equivalent block mask in position
/// order, and combining rounds by their log-sum-exp is the softmax over the union of their keys.
/// </summary>
public class SortedChunksTests
{
    private const int Rounds = 2, Length = 12, ChunkSize = 3, HeadDim = 4;

    [Fact]
    public void Each_round_is_ordered_by_group_then_position_and_rank_inverts_it()
    {
        using var scope = NewDisposeScope();
        var groups = RandomGroups(seed: 1);

        var sorted = SortedChunks.Of(groups, ChunkSize);

        var expected = PlainOrder(groups);
        var order = sorted.Order.data<long>().ToArray();
        var rank = sorted.Rank.data<long>().ToArray();
        var chunkOf = sorted.ChunkOf.data<long>().ToArray();
        for (int round = 0; round < Rounds; round++)
            for (int i = 0; i < Length; i++)
            {
                Assert.Equal(expected[round][i], order[round * Length + i]);
                Assert.Equal(i, rank[round * Length + expected[round][i]]);
                Assert.Equal(i / ChunkSize, chunkOf[round * Length + expected[round][i]]);
            }
    }

    [Fact]
    public void Unsorting_the_gathered_rows_gives_them_back_in_every_round()
    {
        using var scope = NewDisposeScope();
        var sorted = SortedChunks.Of(RandomGroups(seed: 2), ChunkSize);
        var x = randn(new[] { 1L, 1, Length, HeadDim }, dtype: float64, generator: new torch.Generator(3));

        var gathered = sorted.Gather(x);
        var back = sorted.Unsort(gathered.view(1, 1, Rounds, Length, HeadDim));

        Assert.False(gathered.view(1, 1, Rounds, Length, HeadDim)[.., .., 0].allclose(x, rtol: 0, atol: 0), "the groups should reorder the rows");
        for (int round = 0; round < Rounds; round++)
            Assert.True(back[.., .., round].allclose(x, rtol: 0, atol: 0));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Chunk_attention_is_dense_attention_with_the_block_mask_in_position_order(bool causal)
    {
        using var scope = NewDisposeScope();
        var groups = RandomGroups(seed: 4);
        var sorted = SortedChunks.Of(groups, ChunkSize);
        var generator = new torch.Generator(5);
        var q = randn(new[] { 1L, 1, Length, HeadDim }, dtype: float64, generator: generator);
        var k = randn(new[] { 1L, 1, Length, HeadDim }, dtype: float64, generator: generator);
        var v = randn(new[] { 1L, 1, Length, HeadDim }, dtype: float64, generator: generator);
        // A family's rule, here hiding later keys: it must see the positions of each window's queries and keys.
        SortedChunkAttentionReference.ScoreRule rule = causal
            ? (scores, queryPositions, keyPositions) => scores.masked_fill(keyPositions.unsqueeze(-2).gt(queryPositions.unsqueeze(-1)), -1e9)
            : (scores, _, _) => scores;

        var (attended, logSumExp) = SortedChunkAttentionReference.Compose(sorted.Gather(q), sorted.Gather(k), sorted.Gather(v),
            sorted.Positions, Rounds, ChunkSize, rule);
        var output = sorted.Unsort(attended.view(1, 1, Rounds, Length, HeadDim));
        var outputLogSumExp = sorted.Unsort(logSumExp.view(1, 1, Rounds, Length, 1));

        var order = PlainOrder(groups);
        int chunks = Length / ChunkSize;
        for (int round = 0; round < Rounds; round++)
        {
            var chunkOf = new int[Length];
            for (int i = 0; i < Length; i++)
                chunkOf[order[round][i]] = i / ChunkSize;
            // Query i sees key j when j's chunk is i's or the one before it in the round (the first chunk sees the last).
            var hidden = zeros(new[] { (long)Length, Length }, dtype: @bool);
            for (int i = 0; i < Length; i++)
                for (int j = 0; j < Length; j++)
                    if (!(chunkOf[j] == chunkOf[i] || chunkOf[j] == (chunkOf[i] + chunks - 1) % chunks) || (causal && j > i))
                        hidden[i, j] = true;
            var scores = q[0, 0].matmul(k[0, 0].T) / Math.Sqrt(HeadDim);
            scores = scores.masked_fill(hidden, -1e9);
            var expected = scores.softmax(-1).matmul(v[0, 0]);
            var expectedLogSumExp = scores.logsumexp(-1);

            AssertClose(expected, output[0, 0, round], $"round {round} output");
            AssertClose(expectedLogSumExp, outputLogSumExp[0, 0, round, .., 0], $"round {round} log-sum-exp");
        }
    }

    [Fact]
    public void Combining_rounds_by_log_sum_exp_is_the_softmax_over_the_union_of_their_keys()
    {
        using var scope = NewDisposeScope();
        var groups = RandomGroups(seed: 6);
        var sorted = SortedChunks.Of(groups, ChunkSize);
        var generator = new torch.Generator(7);
        const int keys = 10;
        var scores = randn(new[] { (long)Length, keys }, dtype: float64, generator: generator);
        var v = randn(new[] { (long)keys, HeadDim }, dtype: float64, generator: generator);
        // Each query's keys split between the two rounds at random: round 0 takes keys where the coin is true.
        var coin = rand(new[] { (long)Length, keys }, dtype: float64, generator: generator).lt(0.5);
        coin[.., 0] = true;
        coin[.., 1] = false;

        var order = PlainOrder(groups);
        var attended = zeros(new[] { 1L, 1, Rounds * Length, HeadDim }, dtype: float64);
        var logSumExp = zeros(new[] { 1L, 1, Rounds * Length }, dtype: float64);
        for (int round = 0; round < Rounds; round++)
        {
            var roundScores = scores.masked_fill(round == 0 ? coin.logical_not() : coin, double.NegativeInfinity);
            var roundOutput = roundScores.softmax(-1).matmul(v);
            var roundLogSumExp = roundScores.logsumexp(-1);
            // In sorted order, as the chunk attention leaves them.
            for (int i = 0; i < Length; i++)
            {
                attended[0, 0, round * Length + i] = roundOutput[order[round][i]];
                logSumExp[0, 0, round * Length + i] = roundLogSumExp[order[round][i]];
            }
        }

        var combined = sorted.CombineRounds(attended, logSumExp);

        AssertClose(scores.softmax(-1).matmul(v), combined[0, 0], "combined rounds");
    }

    // Groups 0..3 with many ties, different in each round.
    private static Tensor RandomGroups(int seed) =>
        randint(0, 4, new[] { 1L, 1, Rounds, Length }, dtype: int64, generator: new torch.Generator((ulong)seed));

    // Each round's positions sorted by (group, position), by LINQ.
    private static int[][] PlainOrder(Tensor groups)
    {
        var g = groups.data<long>().ToArray();
        return Enumerable.Range(0, Rounds)
            .Select(round => Enumerable.Range(0, Length).OrderBy(p => g[round * Length + p]).ThenBy(p => p).ToArray())
            .ToArray();
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what) =>
        Assert.True(actual.allclose(expected, rtol: 1e-10, atol: 1e-12), $"{what}: max difference {(actual - expected).abs().max().item<double>()}");
}
