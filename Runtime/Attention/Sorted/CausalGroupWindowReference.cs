using static TorchSharp.torch;

namespace XformerDsl.Attention.Sorted;

/// <summary>
/// The attention over <see cref="CausalGroupWindows"/> composed from TorchSharp ops: every query's candidate keys in every
/// round gathered into one row (the <c>Window</c> sorted rows before it, hidden unless they share its group and are
/// visible keys), each lowered by the log of its number of rounds, plus the query itself, under one softmax. The oracle
/// of the fused <see cref="CausalGroupWindowAttention"/>; it materialises <c>[batch, heads, length, rounds · Window, headDim]</c>
/// gathered keys and values, so it suits tests and short sequences.
/// </summary>
public static class CausalGroupWindowReference
{
    /// <summary>
    /// Queries, keys and values <c>[batch, heads, length, headDim]</c> in position order; <paramref name="valid"/> bool
    /// <c>[batch, length]</c>, false for keys nobody may see (padding; a query still sees itself). A query scores itself
    /// <paramref name="selfScore"/> when given (LSH's shared query-keys), else like any key. Scores are scaled by 1/√headDim.
    /// Returns the attended rows <c>[batch, heads, length, headDim]</c> and their log-sum-exp <c>[batch, heads, length]</c>.
    /// </summary>
    public static (Tensor Output, Tensor LogSumExp) Compose(Tensor query, Tensor key, Tensor value, CausalGroupWindows windows,
        Tensor valid, double? selfScore)
    {
        using var scope = NewDisposeScope();
        long batch = query.shape[0], heads = query.shape[1], length = query.shape[2], headDim = query.shape[3];
        long rounds = windows.Rounds, window = windows.Window;
        var device = query.device;

        // Candidates: the `window` sorted indices before each query's, in each round. [b, h, rounds, length, window]
        var sortedIndex = windows.Rank.unsqueeze(-1) + arange(-window, 0, 1, ScalarType.Int64, device);
        var inRange = sortedIndex.ge(0);
        var keyPositions = windows.Order.gather(3, sortedIndex.clamp_min(0).view(batch, heads, rounds, -1)).view(sortedIndex.shape);
        var flatKeys = keyPositions.view(batch, heads, 1, -1).expand(batch, heads, rounds, -1);

        // Every round's view of every candidate, [b, h, round r', rounds, length, window]: its group and sorted index there.
        var keyGroups = windows.Groups.gather(3, flatKeys).view(batch, heads, rounds, rounds, length, window);
        var keyRanks = windows.Rank.gather(3, flatKeys).view(batch, heads, rounds, rounds, length, window);
        var queryGroups = windows.Groups.view(batch, heads, rounds, 1, length, 1);
        var behind = windows.Rank.view(batch, heads, rounds, 1, length, 1) - keyRanks;
        var inWindow = keyGroups.eq(queryGroups).logical_and(behind.gt(0)).logical_and(behind.le(window));   // [b, h, r', r, l, w]
        var roundsHolding = inWindow.to(query.dtype).sum(2);                                                    // [b, h, r, l, w]
        // In its own round a candidate is 1..window rows behind, so it is in the window when it shares the query's group.
        var sameGroup = windows.Groups.gather(3, keyPositions.view(batch, heads, rounds, -1)).view(keyPositions.shape)
            .eq(windows.Groups.unsqueeze(-1));
        var keyValid = valid.to(ScalarType.Bool).view(batch, 1, -1).expand(batch, heads, -1)
            .gather(2, keyPositions.view(batch, heads, -1)).view(keyPositions.shape);
        var visible = inRange.logical_and(sameGroup).logical_and(keyValid);

        // Candidate rows of keys and values, [b, h, rounds, length, window, headDim], by row index into [b·h·length, headDim].
        var rows = (keyPositions + (arange(batch * heads, ScalarType.Int64, device) * length).view(batch, heads, 1, 1, 1)).reshape(-1);
        var keys = key.reshape(-1, headDim).index_select(0, rows).view(batch, heads, rounds, length, window, headDim);
        var values = value.reshape(-1, headDim).index_select(0, rows).view(batch, heads, rounds, length, window, headDim);
        double scale = 1.0 / Math.Sqrt(headDim);
        var scores = query.unsqueeze(2).unsqueeze(-2).matmul(keys.transpose(-2, -1)).squeeze(-2) * scale;   // [b, h, r, l, w]
        scores = (scores - roundsHolding.clamp_min(1).log()).masked_fill(visible.logical_not(), double.NegativeInfinity);

        // One row per query: every round's candidates, then the query itself.
        var self = selfScore is double constant
            ? full(new[] { batch, heads, length, 1L }, constant, query.dtype, device)
            : (query * key).sum(-1, keepdim: true) * scale;
        var allScores = cat([scores.permute(0, 1, 3, 2, 4).reshape(batch, heads, length, rounds * window), self], -1);
        var allValues = cat([values.permute(0, 1, 3, 2, 4, 5).reshape(batch, heads, length, rounds * window, headDim), value.unsqueeze(3)], 3);
        var logSumExp = allScores.logsumexp(-1);
        var weights = (allScores - logSumExp.unsqueeze(-1)).exp();
        var output = weights.unsqueeze(-2).matmul(allValues).squeeze(-2);
        return (output.MoveToOuterDisposeScope(), logSumExp.MoveToOuterDisposeScope());
    }
}
