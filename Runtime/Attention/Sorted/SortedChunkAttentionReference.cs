using static TorchSharp.torch;

namespace XformerDsl.Attention.Sorted;

/// <summary>
/// The attention of sorted rows in chunks composed from TorchSharp ops (see <see cref="SortedChunks"/>): each chunk of
/// each round attends to its window, the previous chunk of the same round then the chunk itself, with scores scaled by
/// 1/√headDim and then adjusted by the family's <see cref="ScoreRule"/>. The oracle of a family's fused chunk kernel.
/// </summary>
public static class SortedChunkAttentionReference
{
    /// <summary>
    /// A family's masks and corrections of the window scores <c>[batch, heads, rounds, chunks, chunkSize, 2 · chunkSize]</c>,
    /// given the positions of the chunk's queries <c>[batch, heads, rounds, chunks, chunkSize]</c> and of its window's keys
    /// <c>[batch, heads, rounds, chunks, 2 · chunkSize]</c>. Returns the scores to take the softmax of; a hidden key should
    /// get a large finite negative score, so a query without visible keys does not become NaN.
    /// </summary>
    public delegate Tensor ScoreRule(Tensor scores, Tensor queryPositions, Tensor keyPositions);

    /// <summary>
    /// The chunk attention of query, key and value rows <c>[batch, heads, rounds · length, headDim]</c> in each round's
    /// sorted order, where <paramref name="positions"/> <c>[batch, heads, rounds · length]</c> is the position of each row
    /// (see <see cref="SortedChunks.Positions"/>). Returns the attended rows and their log-sum-exp
    /// <c>[batch, heads, rounds · length]</c>, still in sorted order.
    /// </summary>
    public static (Tensor Output, Tensor LogSumExp) Compose(Tensor query, Tensor key, Tensor value, Tensor positions,
        long rounds, int chunkSize, ScoreRule scoreRule)
    {
        using var scope = NewDisposeScope();
        long batch = query.shape[0], heads = query.shape[1], headDim = query.shape[3];
        long length = query.shape[2] / rounds, chunks = length / chunkSize;
        var q = query.view(batch, heads, rounds, chunks, chunkSize, headDim);
        var k = key.view(batch, heads, rounds, chunks, chunkSize, headDim);
        var vs = value.view(batch, heads, rounds, chunks, chunkSize, headDim);
        var queryPositions = positions.view(batch, heads, rounds, chunks, chunkSize);

        // Each chunk's window: the previous chunk of the same round, then the chunk itself (2 · chunkSize keys).
        Tensor Window(Tensor x, int dim) => cat([x.roll(1, dim), x], dim + 1);
        var keys = Window(k, 3).view(batch, heads, rounds, chunks, 2 * chunkSize, headDim);
        var values = Window(vs, 3).view(batch, heads, rounds, chunks, 2 * chunkSize, headDim);
        var keyPositions = Window(queryPositions, 3).view(batch, heads, rounds, chunks, 2 * chunkSize);

        var scores = q.matmul(keys.transpose(-2, -1)) / Math.Sqrt(headDim);   // [b, h, r, c, chunk, 2·chunk]
        scores = scoreRule(scores, queryPositions, keyPositions);

        var logSumExp = scores.logsumexp(-1, keepdim: true);
        var attended = (scores - logSumExp).exp().matmul(values);   // [b, h, r, c, chunk, headDim]
        return (attended.view(batch, heads, rounds * length, headDim).MoveToOuterDisposeScope(),
            logSumExp.view(batch, heads, rounds * length).MoveToOuterDisposeScope());
    }
}
