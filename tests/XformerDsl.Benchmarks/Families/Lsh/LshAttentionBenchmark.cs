using XformerDsl.Attention.Lsh;
using static TorchSharp.torch;

namespace XformerDsl.Benchmarks;

/// <summary>
/// <c>--family lsh</c>: LSH attention (chunks of 64, 2 rounds, the queries as shared query-keys) with the generated
/// chunk kernel and with the composed reference, against SDPA's full attention on the same tensors as the baseline
/// it replaces. The rotations are drawn once per sequence length from a fixed seed, outside the timing.
/// </summary>
internal sealed class LshAttentionBenchmark : IAttentionBenchmarkFamily
{
    private const int BucketSize = 64, Rounds = 2;

    public string Name => "lsh";

    public string Help => "[LshAttention], chunks of 64, 2 rounds; its sdpa row is full attention; head size 32, 64 or 128";

    public IReadOnlyList<AttentionImplementation> Implementations(BenchmarkOptions o)
    {
        bool causal = o.Causal;
        Func<Tensor, Tensor, Tensor, Tensor> generated = (o.HeadDim, causal) switch
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
        // The reference keeps about eight [batch, heads, rounds · seq, 2 · bucket] float32 tiles alive through the backward pass.
        double ReferenceBytes(int seq) => 8.0 * o.Batch * o.Heads * Rounds * seq * 2.0 * BucketSize * sizeof(float);
        return
        [
            new("generated", (q, k, v) => generated(q, v, RotationsFor(q))),
            new("reference", (q, k, v) => LshAttentionReference.Forward(q, v, RotationsFor(q), BucketSize, causal, null), ReferenceBytes),
            new("sdpa", (q, k, v) => nn.functional.scaled_dot_product_attention(q, k, v, is_casual: causal)),
        ];
    }
}
