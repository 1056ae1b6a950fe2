using XformerDsl.Attention.Sinkhorn;
using static TorchSharp.torch;

namespace XformerDsl.Benchmarks;

/// <summary>
/// <c>--family sinkhorn</c>: Sparse Sinkhorn attention (blocks of 64, 7 iterations, evaluation-mode sorting, so no
/// noise) with the block attention on the generated kernel and on the composed reference, against SDPA's full attention
/// on the same tensors as the baseline it replaces. The sorting (TorchSharp ops) is timed in both, as part of the layer's
/// attention; its projection is the identity, fixed outside the timing.
/// </summary>
internal sealed class SinkhornAttentionBenchmark : IAttentionBenchmarkFamily
{
    private const int HeadDim = 64, Block = 64, Iterations = 7;

    public string Name => "sinkhorn";

    public string Help => "[SinkhornAttention], blocks of 64, 7 iterations, sorting included; its sdpa row is full attention; head size 64";

    public IReadOnlyList<AttentionImplementation> Implementations(BenchmarkOptions o)
    {
        if (o.HeadDim != HeadDim)
            throw new ArgumentException($"--head-dim {o.HeadDim}: the benchmark declares the Sinkhorn kernels for head size {HeadDim}.");
        bool causal = o.Causal;
        var settings = new SinkhornSettings(Block, Iterations, XformerDsl.Specs.SinkhornAttentionSpec.DefaultTemperature, causal);
        Tensor? projection = null;
        Tensor Projection(Tensor like) => projection ??= eye(HeadDim, dtype: like.dtype, device: like.device).DetachFromDisposeScope();
        Func<Tensor, Tensor, Tensor, Tensor> generated = causal
            ? (q, k, v) => SinkhornBlockAttention<CausalSinkhorn64.SelfAttention.Kernel>.Attend(q, k, v, Projection(q), settings, training: false, null)
            : (q, k, v) => SinkhornBlockAttention<BidirectionalSinkhorn64.SelfAttention.Kernel>.Attend(q, k, v, Projection(q), settings, training: false, null);
        // The reference keeps [batch, heads, blocks, Block, 2·Block] scores and weights, and the concatenated values, through the backward pass.
        double ReferenceBytes(int seq) => 6.0 * o.Batch * o.Heads * seq * 2.0 * Block * sizeof(float);
        return
        [
            new("generated", generated),
            new("reference", (q, k, v) => SinkhornAttentionReference.Forward(q, k, v, Projection(q), settings, training: false, null), ReferenceBytes),
            new("sdpa", (q, k, v) => nn.functional.scaled_dot_product_attention(q, k, v, is_casual: causal)),
        ];
    }
}
