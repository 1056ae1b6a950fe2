using XformerDsl.Attention.Linear;
using XformerDsl.Autograd;
using static TorchSharp.torch;

namespace XformerDsl.Benchmarks;

/// <summary>
/// <c>--family linear|performer|t2r</c>: a [LinearAttention] feature map (elu + 1; FAVOR+ with 64 features; T2R with 32
/// learned features) followed by the generated fused kernel, or by the composed reference; and SDPA (softmax attention)
/// as the baseline to beat. Feature maps are part of every timing but SDPA's, and T2R's W and b get gradients.
/// </summary>
internal sealed class LinearAttentionBenchmark : IAttentionBenchmarkFamily
{
    private readonly FeatureMap _map;

    public LinearAttentionBenchmark(string name, FeatureMap map, string help)
    {
        Name = name;
        _map = map;
        Help = help;
    }

    public string Name { get; }

    public string Help { get; }

    public IReadOnlyList<AttentionImplementation> Implementations(BenchmarkOptions o)
    {
        if (o.HeadDim != 64)
            throw new ArgumentException($"--head-dim {o.HeadDim}: the benchmark declares linear attention kernels for head size 64.");
        bool causal = o.Causal;
        Func<Tensor, Tensor, Tensor, Tensor?, Tensor> fused = (_map, causal) switch
        {
            (FeatureMap.Elu, true) => FusedLinearAttention<CausalLinear64.SelfAttention.Kernel>.Apply,
            (FeatureMap.Elu, false) => FusedLinearAttention<BidirectionalLinear64.SelfAttention.Kernel>.Apply,
            (FeatureMap.Favor, true) => FusedLinearAttention<CausalPerformer64.SelfAttention.Kernel>.Apply,
            (FeatureMap.Favor, false) => FusedLinearAttention<BidirectionalPerformer64.SelfAttention.Kernel>.Apply,
            (_, true) => FusedLinearAttention<CausalT2R64.SelfAttention.Kernel>.Apply,
            _ => FusedLinearAttention<BidirectionalT2R64.SelfAttention.Kernel>.Apply,
        };
        var features = FeatureMapOf(o);
        // The causal reference is a masked product: about six [batch, heads, seq, seq] float32 matrices through backward.
        double ReferenceBytes(int seq) => causal ? 6.0 * o.Batch * o.Heads * seq * (double)seq * sizeof(float) : 0;
        return
        [
            new("generated", (q, k, v) => fused(features(q, true), features(k, false), v, null)),
            new("reference", (q, k, v) => LinearAttentionReference.Forward(features(q, true), features(k, false), v, causal, null), ReferenceBytes),
            new("sdpa", (q, k, v) => nn.functional.scaled_dot_product_attention(q, k, v, is_casual: causal)),
        ];
    }

    // φ for queries (true) and keys (false), with the map's parameters created once per run.
    private Func<Tensor, bool, Tensor> FeatureMapOf(BenchmarkOptions o)
    {
        switch (_map)
        {
            case FeatureMap.Elu:
                return (x, _) => LinearFeatureMaps.EluPlusOne(x);
            case FeatureMap.Favor:
                var projection = FavorFeatures.Draw(64, o.HeadDim, seed: 0, draw: 0).to(float32);
                return (x, isQuery) => LinearFeatureMaps.Favor(x, projection, isQuery);
            default:
                var generator = new Generator(0);
                var weight = (randn(new long[] { o.Heads, 32, o.HeadDim }, float32, generator: generator) / Math.Sqrt(o.HeadDim)).requires_grad_();
                var bias = zeros(new long[] { o.Heads, 32 }, float32).requires_grad_();
                return (x, _) => LinearFeatureMaps.LearnedRelu(x, weight, bias);
        }
    }
}
