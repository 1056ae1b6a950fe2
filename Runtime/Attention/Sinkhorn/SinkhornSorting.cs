using static TorchSharp.torch;

namespace XformerDsl.Attention.Sinkhorn;

/// <summary>
/// The sorted blocks one query block attends to besides its own: keys and values <c>[batch, heads, rows, headDim]</c>
/// whose block i is the soft permutation's row i times the key (value) blocks, and which of them a query block may see.
/// </summary>
/// <param name="Key">Sorted keys: block i of rows is sorted block i (all blocks, or the first SortCut with SortCut).</param>
/// <param name="Value">Sorted values, laid out as <paramref name="Key"/>: built from the values, never from the keys.</param>
/// <param name="Visible">Bool <c>[batch, sortedBlocks]</c>: false where row i of the permutation took no block (the first block of a causal layer, padding).</param>
public sealed record SinkhornSortedBlocks(Tensor Key, Tensor Value, Tensor Visible);

/// <summary>
/// The sorting network of Sinkhorn attention (Tay et al., 2020), composed from TorchSharp ops. Each block of
/// <c>block</c> contiguous positions is pooled per head (the mean of its real queries and of its real keys); the
/// sorting logits are R[i, j] = (q̄ᵢ W) · k̄ⱼ / √headDim with the layer's learned <c>[headDim, headDim]</c> projection W;
/// in training Gumbel noise is added; R / τ is balanced by log-domain Sinkhorn iterations into a soft permutation P;
/// sorted keys and values are P times the key and value blocks (padded rows zeroed first, so padding adds nothing).
/// <para>
/// Causal (the paper's causal Sinkhorn balancing, with every step kept to earlier blocks): row i may take only blocks
/// j &lt; i; its pooled summary is block i − 1's queries, never its own (a query of block i must not see its block's
/// later tokens through the sorting); the column normalisation of entry (i, j) divides by the sum over rows ≤ i of
/// column j only (a cumulative sum, since the full column would read later rows); the first block takes nothing.
/// Every iteration ends with the row normalisation, so each taken sorted block is a convex mix of blocks.
/// </para>
/// </summary>
public static class SinkhornSorting
{
    // Logits of hidden pairs: finite, so a row or column with nothing to take gives no NaN (or NaN gradient), yet its
    // exponential is exactly 0 in float32 and float64.
    internal const double Hidden = -1e9;

    /// <summary>
    /// The soft permutation's log P, <c>[batch, heads, blocks, blocks]</c>, from sorting logits R (already divided by
    /// the temperature, noise added), with hidden pairs <paramref name="hidden"/> (bool, broadcastable) at −1e9.
    /// </summary>
    public static Tensor Balance(Tensor logits, Tensor hidden, int iterations, bool causal)
    {
        using var scope = NewDisposeScope();
        var log = logits.masked_fill(hidden, Hidden);
        for (int iteration = 0; iteration < iterations; iteration++)
            log = NormaliseColumnsThenRows(log, causal ? log.logcumsumexp(-2) : log.logsumexp(-2, keepdim: true), hidden);
        return log.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One Sinkhorn iteration of log P given the log of its column sums <paramref name="columns"/> (over every row, or
    /// when causal over the rows up to each row): the column normalisation, then the row normalisation, hidden pairs kept
    /// at −1e9. <see cref="SinkhornStepState"/> runs it on one row with the column sums it has carried.
    /// </summary>
    internal static Tensor NormaliseColumnsThenRows(Tensor log, Tensor columns, Tensor hidden)
    {
        log = (log - columns).masked_fill(hidden, Hidden);
        return (log - log.logsumexp(-1, keepdim: true)).masked_fill(hidden, Hidden);
    }

    /// <summary>
    /// The sorting logits R = (pooled queries · W) · pooled keysᵀ / √headDim, <c>[..., rows, columns]</c> from
    /// <c>[..., rows, headDim]</c> and <c>[..., columns, headDim]</c> (before the temperature and noise).
    /// </summary>
    internal static Tensor Logits(Tensor pooledQueries, Tensor pooledKeys, Tensor projection) =>
        pooledQueries.matmul(projection).matmul(pooledKeys.transpose(-2, -1)) / Math.Sqrt(pooledQueries.shape[^1]);

    /// <summary>
    /// The pairs (row i, block j) the permutation may not join, bool <c>[batch, 1, blocks, blocks]</c>: blocks with no
    /// real position (as rows and as columns), and when causal every j ≥ i.
    /// </summary>
    public static Tensor HiddenPairs(Tensor validBlocks, bool causal)
    {
        using var scope = NewDisposeScope();
        long blocks = validBlocks.shape[1];
        var empty = validBlocks.logical_not();
        var hidden = empty.unsqueeze(2).logical_or(empty.unsqueeze(1));
        if (causal)
            hidden = hidden.logical_or(ones(blocks, blocks, ScalarType.Bool, validBlocks.device).tril(-1).logical_not());
        return hidden.unsqueeze(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Sorts the blocks of <c>[batch, heads, length, headDim]</c> queries, keys and values, length a multiple of
    /// <see cref="SinkhornSettings.Block"/>, with <paramref name="valid"/> bool <c>[batch, length]</c> (true for real
    /// positions) and the layer's <paramref name="projection"/> <c>[headDim, headDim]</c>; Gumbel noise only when
    /// <paramref name="training"/> (torch.manual_seed reproduces it).
    /// </summary>
    public static SinkhornSortedBlocks Sort(Tensor query, Tensor key, Tensor value, Tensor projection, Tensor valid, SinkhornSettings settings, bool training)
    {
        using var scope = NewDisposeScope();
        long batch = query.shape[0], heads = query.shape[1], length = query.shape[2], headDim = query.shape[3];
        int block = settings.Block;
        long blocks = length / block;
        var realRows = valid.to(query.dtype).view(batch, 1, blocks, block, 1);
        var counts = realRows.sum(3).clamp_min(1.0);                                  // [batch, 1, blocks, 1]
        var pooledQueries = (query.view(batch, heads, blocks, block, headDim) * realRows).sum(3) / counts;
        var pooledKeys = (key.view(batch, heads, blocks, block, headDim) * realRows).sum(3) / counts;
        if (settings.Causal)
            // Row i is summarised by block i − 1, wholly before it; row 0 takes nothing, so its summary is irrelevant.
            pooledQueries = nn.functional.pad(pooledQueries.narrow(2, 0, blocks - 1), [0, 0, 1, 0]);
        var logits = Logits(pooledQueries, pooledKeys, projection);
        if (training)
            logits = logits + GumbelNoise(logits);
        var validBlocks = valid.view(batch, blocks, block).any(-1);
        var hidden = HiddenPairs(validBlocks, settings.Causal);
        var permutation = Balance(logits / settings.Temperature, hidden, settings.Iterations, settings.Causal).exp().masked_fill(hidden, 0.0);

        long sortedBlocks = settings.SortCut > 0 ? settings.SortCut : blocks;
        permutation = permutation.narrow(2, 0, sortedBlocks);
        var padding = valid.logical_not().view(batch, 1, length, 1);
        Tensor Sorted(Tensor rows) =>
            permutation.matmul(rows.masked_fill(padding, 0.0).view(batch, heads, blocks, block * headDim)).view(batch, heads, sortedBlocks * block, headDim);
        var visible = hidden.squeeze(1).logical_not().any(-1).narrow(1, 0, sortedBlocks);
        return new SinkhornSortedBlocks(Sorted(key).MoveToOuterDisposeScope(), Sorted(value).MoveToOuterDisposeScope(), visible.MoveToOuterDisposeScope());
    }

    // Standard Gumbel noise −log(−log U), U uniform in (0, 1), from the global generator.
    private static Tensor GumbelNoise(Tensor like)
    {
        const double tiny = 1e-20;
        var uniform = rand_like(like);
        return -(-(uniform + tiny).log() + tiny).log();
    }
}
