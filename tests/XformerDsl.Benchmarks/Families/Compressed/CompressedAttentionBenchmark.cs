using XformerDsl.Attention.Compressed;
using XformerDsl.Attention.Full;
using XformerDsl.Autograd;
using static TorchSharp.torch;

namespace XformerDsl.Benchmarks;

/// <summary>
/// <c>--family compressed</c>: memory-compressed attention (keys and values compressed along the length, each slot of
/// <c>--ratio</c> positions by a per-head strided convolution, then attention over the slots; causal: the null key first
/// and the causal slot rule) with the generated kernel and with the composed reference, against SDPA's full attention on
/// the same q, k, v as the baseline it replaces. The filters and null rows are drawn once, outside the timing; the
/// compression is timed, as it is part of the layer's attention.
/// </summary>
internal sealed class CompressedAttentionBenchmark : IAttentionBenchmarkFamily
{
    private const int HeadDim = 64;

    // The causal kernels compile the ratio in: one declared model per ratio.
    private static readonly Dictionary<int, Func<Tensor, Tensor, Tensor, Tensor?, Tensor>> s_causalKernels = new()
    {
        [2] = FusedAttention<CausalCompressedRatio2.SelfAttention.Kernel>.Apply,
        [3] = FusedAttention<CausalCompressedRatio3.SelfAttention.Kernel>.Apply,
        [4] = FusedAttention<CausalCompressedRatio4.SelfAttention.Kernel>.Apply,
        [8] = FusedAttention<CausalCompressedRatio8.SelfAttention.Kernel>.Apply,
    };

    public string Name => "compressed";

    public string Help =>
        $"[CompressedAttention], keys and values in slots of --ratio positions by a strided convolution; its sdpa row is full attention; --ratio {string.Join(", ", s_causalKernels.Keys)}; head size 64";

    public IReadOnlyList<AttentionImplementation> Implementations(BenchmarkOptions o)
    {
        if (o.HeadDim != HeadDim)
            throw new ArgumentException($"--head-dim {o.HeadDim}: the benchmark declares the compressed kernels for head size {HeadDim}.");
        int ratio = o.Ratio;
        if (!s_causalKernels.TryGetValue(ratio, out var causalKernel))
            throw new ArgumentException($"--ratio {ratio}: the benchmark declares kernels for ratios {string.Join(", ", s_causalKernels.Keys)}; pass one of them.");
        bool causal = o.Causal;
        Tensor? keyFilter = null, valueFilter = null, nullKey = null, nullValue = null;
        (Tensor Keys, Tensor Values) Compress(Tensor k, Tensor v)
        {
            if (keyFilter is null || valueFilter is null || nullKey is null || nullValue is null)
            {
                // Drawn lazily so that building the list costs nothing; kept outside every dispose scope.
                long heads = k.shape[1];
                manual_seed(1);
                double scale = 1.0 / Math.Sqrt(HeadDim * ratio);
                keyFilter = (randn(heads * HeadDim, HeadDim, ratio) * scale).DetachFromDisposeScope();
                valueFilter = (randn(heads * HeadDim, HeadDim, ratio) * scale).DetachFromDisposeScope();
                nullKey = randn(heads, HeadDim).DetachFromDisposeScope();
                nullValue = randn(heads, HeadDim).DetachFromDisposeScope();
            }
            var keys = CompressedMemory.Convolve(k, null, keyFilter, null, ratio);
            var values = CompressedMemory.Convolve(v, null, valueFilter, null, ratio);
            return causal ? (CompressedMemory.WithNullRow(keys, nullKey), CompressedMemory.WithNullRow(values, nullValue)) : (keys, values);
        }
        return
        [
            new("generated", (q, k, v) =>
            {
                var (keys, values) = Compress(k, v);
                return causal ? causalKernel(q, keys, values, null) : FusedAttention<BidirectionalCompressed64.SelfAttention.Kernel>.Apply(q, keys, values, null);
            }),
            new("reference", (q, k, v) =>
            {
                var (keys, values) = Compress(k, v);
                return causal ? CompressedAttentionReference.Forward(q, keys, values, ratio, null) : FullAttentionReference.Forward(q, keys, values, causal: false);
            }),
            new("sdpa", (q, k, v) => nn.functional.scaled_dot_product_attention(q, k, v, is_casual: causal)),
        ];
    }
}
