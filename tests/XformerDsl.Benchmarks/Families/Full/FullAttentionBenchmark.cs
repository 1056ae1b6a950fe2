using XformerDsl.Attention.Full;
using XformerDsl.Autograd;
using static TorchSharp.torch;

namespace XformerDsl.Benchmarks;

/// <summary><c>--family full</c>: the generated kernel of [FullAttention], the composed reference, and SDPA.</summary>
internal sealed class FullAttentionBenchmark : IAttentionBenchmarkFamily
{
    public string Name => "full";

    public string Help => "[FullAttention]; head size 32, 64 or 128";

    public double? ForwardFlops(BenchmarkOptions o, int seq, int keys, bool causal) => SoftmaxFlops(o, seq, keys, causal);

    /// <summary>
    /// Softmax attention's forward: two products of 2·headDim operations per (query, visible key) pair, per head; a causal
    /// query i (of queries and keys alike long) sees keys 0…i. Softmax itself is not counted, as FlashAttention counts.
    /// </summary>
    public static double SoftmaxFlops(BenchmarkOptions o, int seq, int keys, bool causal)
    {
        double pairs = causal && seq == keys ? seq * (seq + 1.0) / 2 : seq * (double)keys;
        return 4.0 * o.Batch * o.Heads * o.HeadDim * pairs;
    }

    public IReadOnlyList<AttentionImplementation> Implementations(BenchmarkOptions o)
    {
        bool causal = o.Causal;
        Func<Tensor, Tensor, Tensor, Tensor> generated = (o.HeadDim, causal) switch
        {
            (32, true) => (q, k, v) => FusedAttention<CausalFull32.SelfAttention.Kernel>.Apply(q, k, v, null),
            (32, false) => (q, k, v) => FusedAttention<BidirectionalFull32.SelfAttention.Kernel>.Apply(q, k, v, null),
            (64, true) => (q, k, v) => FusedAttention<CausalFull64.SelfAttention.Kernel>.Apply(q, k, v, null),
            (64, false) => (q, k, v) => FusedAttention<BidirectionalFull64.SelfAttention.Kernel>.Apply(q, k, v, null),
            (128, true) => (q, k, v) => FusedAttention<CausalFull128.SelfAttention.Kernel>.Apply(q, k, v, null),
            (128, false) => (q, k, v) => FusedAttention<BidirectionalFull128.SelfAttention.Kernel>.Apply(q, k, v, null),
            _ => throw new ArgumentException($"--head-dim {o.HeadDim}: the benchmark declares kernels for head sizes 32, 64 and 128."),
        };
        // The reference keeps about eight [batch, heads, seq, seq] float32 matrices alive through the backward pass.
        double ReferenceBytes(int seq) => 8.0 * o.Batch * o.Heads * seq * (double)seq * sizeof(float);
        return
        [
            new("generated", generated),
            new("reference", (q, k, v) => FullAttentionReference.Forward(q, k, v, causal), ReferenceBytes),
            new("sdpa", (q, k, v) => nn.functional.scaled_dot_product_attention(q, k, v, is_casual: causal)),
        ];
    }
}
