using XformerDsl.Attention.Lsh;
using static TorchSharp.torch;

namespace XformerDsl.Benchmarks;

/// <summary>
/// <c>--family lsh</c>: LSH attention (windows of 64, 2 rounds, the queries as shared query-keys) on the fused path a
/// model of that causality runs (causal: each query's latest keys of its own bucket, <see cref="LshCausalAttention"/>;
/// bidirectional: the generated chunk kernel), on the generated chunk kernel (the paper's chunking) and on the composed
/// reference of the first, against SDPA's full attention on the same tensors as the baseline it replaces. The rotations
/// are drawn once per sequence length from a fixed seed, outside the timing.
/// </summary>
internal sealed class LshAttentionBenchmark : IAttentionBenchmarkFamily
{
    private const int BucketSize = 64, Rounds = 2;

    public string Name => "lsh";

    public string Help => "[LshAttention], windows of 64, 2 rounds; generated is a model's path (causal: own-bucket window), chunks the paper's chunk kernel; its sdpa row is full attention; head size 32, 64 or 128";

    public IReadOnlyList<AttentionImplementation> Implementations(BenchmarkOptions o)
    {
        bool causal = o.Causal;
        Func<Tensor, Tensor, Tensor, Tensor> chunks = (o.HeadDim, causal) switch
        {
            (32, true) => (qk, v, r) => LshChunkAttention<CausalLsh32.SelfAttention.Kernel>.Attend(qk, v, r, true, null),
            (32, false) => (qk, v, r) => LshChunkAttention<BidirectionalLsh32.SelfAttention.Kernel>.Attend(qk, v, r, false, null),
            (64, true) => (qk, v, r) => LshChunkAttention<CausalLsh64.SelfAttention.Kernel>.Attend(qk, v, r, true, null),
            (64, false) => (qk, v, r) => LshChunkAttention<BidirectionalLsh64.SelfAttention.Kernel>.Attend(qk, v, r, false, null),
            (128, true) => (qk, v, r) => LshChunkAttention<CausalLsh128.SelfAttention.Kernel>.Attend(qk, v, r, true, null),
            (128, false) => (qk, v, r) => LshChunkAttention<BidirectionalLsh128.SelfAttention.Kernel>.Attend(qk, v, r, false, null),
            _ => throw new ArgumentException($"--head-dim {o.HeadDim}: the benchmark declares LSH kernels for head sizes 32, 64 and 128."),
        };
        var rotations = new Dictionary<long, Tensor>();
        Tensor RotationsFor(Tensor qk) => rotations.TryGetValue(qk.shape[2], out var r) ? r
            : rotations[qk.shape[2]] = LshHashing.RandomRotations(qk.shape[2], o.Heads, o.HeadDim, Rounds, BucketSize, seed: 1, qk.device, qk.dtype).DetachFromDisposeScope();
        // The chunked reference keeps about eight [batch, heads, rounds · seq, 2 · bucket] float32 tiles alive through the
        // backward pass; the causal window's gathers every query's rounds · bucket keys and values, [.., headDim] each.
        double ReferenceBytes(int seq) => causal
            ? 4.0 * o.Batch * o.Heads * seq * Rounds * BucketSize * o.HeadDim * sizeof(float)
            : 8.0 * o.Batch * o.Heads * Rounds * seq * 2.0 * BucketSize * sizeof(float);
        return
        [
            new("generated", causal
                ? (q, k, v) => LshCausalAttention.Attend(q, v, RotationsFor(q), BucketSize, null)
                : (q, k, v) => chunks(q, v, RotationsFor(q))),
            new("chunks", (q, k, v) => chunks(q, v, RotationsFor(q))),
            new("reference", causal
                ? (q, k, v) => LshCausalAttention.Forward(q, v, RotationsFor(q), BucketSize, null)
                : (q, k, v) => LshAttentionReference.Forward(q, v, RotationsFor(q), BucketSize, causal, null), ReferenceBytes),
            new("sdpa", (q, k, v) => nn.functional.scaled_dot_product_attention(q, k, v, is_casual: causal)),
        ];
    }
}
