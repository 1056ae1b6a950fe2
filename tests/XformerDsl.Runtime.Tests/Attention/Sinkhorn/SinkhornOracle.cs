using static TorchSharp.torch;

namespace XformerDsl.Tests.Attention.Sinkhorn;

/// <summary>
/// Sinkhorn attention written from its definition, block by block, with Sinkhorn's normalisations in the exp domain
/// (divide by column sums, then by row sums): an oracle independent of the runtime's log-domain batched composition.
/// Evaluation mode only (no Gumbel noise); the length must be a whole number of blocks.
/// </summary>
internal static class SinkhornOracle
{
    /// <summary>The soft permutation of one (batch, head): <c>[blocks, blocks]</c>.</summary>
    public static Tensor Permutation(Tensor logits, bool[] realBlock, int iterations, bool causal)
    {
        long blocks = logits.shape[0];
        var allowed = zeros_like(logits);
        for (int i = 0; i < blocks; i++)
            for (int j = 0; j < blocks; j++)
                if (realBlock[i] && realBlock[j] && (!causal || j < i))
                    allowed[i, j] = 1.0;
        var s = logits.exp() * allowed;
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            // Columns: over every row, or when causal over the rows up to this one only.
            var columns = causal ? s.cumsum(0) : s.sum(0, keepdim: true).expand_as(s);
            s = s / columns.where(allowed > 0, ones_like(columns));
            var rows = s.sum(1, keepdim: true);
            s = s / rows.where(rows > 0, ones_like(rows));
        }
        return s;
    }

    /// <summary>
    /// The attention of <c>[batch, heads, length, headDim]</c> queries, keys, values with sorting projection
    /// <paramref name="w"/> and bool <paramref name="valid"/> <c>[batch, length]</c>.
    /// </summary>
    public static Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor w, Tensor valid, int block, int iterations, double temperature, bool causal, int sortCut = 0)
    {
        long batch = q.shape[0], heads = q.shape[1], length = q.shape[2], headDim = q.shape[3];
        int blocks = (int)(length / block);
        var output = zeros_like(q);
        for (int b = 0; b < batch; b++)
        {
            var real = valid[b];
            var realBlock = Enumerable.Range(0, blocks).Select(i => real[(i * block)..((i + 1) * block)].any().item<bool>()).ToArray();
            for (int h = 0; h < heads; h++)
            {
                Tensor Block(Tensor x, int i) => x[b, h, (i * block)..((i + 1) * block)];
                Tensor Mean(Tensor x, int i)
                {
                    var rows = real[(i * block)..((i + 1) * block)].to(x.dtype).unsqueeze(1);
                    return (Block(x, i) * rows).sum(dim: 0) / Math.Max(1.0, rows.sum().item<double>());
                }
                var logits = zeros(blocks, blocks, dtype: q.dtype);
                for (int i = 0; i < blocks; i++)
                    for (int j = 0; j < blocks; j++)
                    {
                        var pooledQuery = causal ? (i == 0 ? zeros(headDim, dtype: q.dtype) : Mean(q, i - 1)) : Mean(q, i);
                        logits[i, j] = pooledQuery.matmul(w).dot(Mean(k, j)) / Math.Sqrt(headDim) / temperature;
                    }
                var p = Permutation(logits, realBlock, iterations, causal);
                var zeroedK = k[b, h] * real.to(q.dtype).unsqueeze(1);
                var zeroedV = v[b, h] * real.to(q.dtype).unsqueeze(1);
                Tensor Sorted(Tensor x, int i) => Enumerable.Range(0, blocks)
                    .Select(j => p[i, j] * x[(j * block)..((j + 1) * block)]).Aggregate((a, c) => a + c);
                bool Took(int i) => p[i].sum().item<double>() > 0;
                for (int t = 0; t < length; t++)
                {
                    int i = t / block;
                    var keys = new List<Tensor>();
                    var values = new List<Tensor>();
                    if (sortCut > 0)
                    {
                        for (int s = 0; s < sortCut; s++)
                            if (Took(s)) { keys.Add(Sorted(zeroedK, s)); values.Add(Sorted(zeroedV, s)); }
                    }
                    else
                    {
                        if (Took(i)) { keys.Add(Sorted(zeroedK, i)); values.Add(Sorted(zeroedV, i)); }
                        for (int u = i * block; u < (i + 1) * block; u++)
                            if (real[u].item<bool>() && (!causal || u <= t)) { keys.Add(k[b, h, u].unsqueeze(0)); values.Add(v[b, h, u].unsqueeze(0)); }
                    }
                    if (keys.Count == 0)
                        continue;
                    var weights = (cat(keys, 0).matmul(q[b, h, t]) / Math.Sqrt(headDim)).softmax(0);
                    output[b, h, t] = weights.matmul(cat(values, 0));
                }
            }
        }
        return output;
    }
}
