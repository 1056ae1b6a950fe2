using TorchSharp;
using XformerDsl.Attention.Routing;
using XformerDsl.Specs;
using static TorchSharp.torch;

namespace XformerDsl.Benchmarks;

/// <summary>
/// <c>--family routing</c>: routing attention with 8 clusters per head and the paper's window, seq / 8, the queries as
/// shared query-keys, centroids from their deterministic start (evaluation routing, so the timing does not move them):
/// the path a model of that causality runs (causal: each token's nearest cluster on the fused sorted-row kernel;
/// bidirectional: the paper's balanced clusters on the fused cluster kernel), the paper's balanced clusters in a causal
/// model (fused), the composed reference of the first, and SDPA's full attention on the same tensors as the baseline it replaces.
/// </summary>
internal sealed class RoutingAttentionBenchmark : IAttentionBenchmarkFamily
{
    private const int Clusters = 8;

    public string Name => "routing";

    public string Help => "[RoutingAttention], 8 clusters, window seq / 8; generated is a model's path (causal: nearest cluster on the fused kernel), balanced the paper's top-k clusters (fused cluster kernel); its sdpa row is full attention";

    public IReadOnlyList<AttentionImplementation> Implementations(BenchmarkOptions o)
    {
        bool causal = o.Causal;
        var centroids = new Dictionary<ScalarType, RoutingCentroids>();
        RoutingCentroids CentroidsFor(Tensor qk)
        {
            if (!centroids.TryGetValue(qk.dtype, out var held))
            {
                held = new RoutingCentroids(o.Heads, Clusters, o.HeadDim, RoutingAttentionSpec.DefaultDecay, RoutingAttentionSpec.DefaultCommitmentWeight);
                held.to(qk.dtype);
                centroids[qk.dtype] = held;
            }
            return held;
        }
        static int WindowOf(Tensor qk) => (int)Math.Max(1, qk.shape[2] / Clusters);
        Tensor Routed(Tensor qk, Tensor v, bool nearest, bool fused) => fused
            ? RoutingAttention.Attend(qk, v, CentroidsFor(qk), WindowOf(qk), WindowOf(qk), causal, nearest, null, training: false)
            : RoutingAttention.Forward(qk, v, CentroidsFor(qk), WindowOf(qk), WindowOf(qk), causal, nearest, null, training: false);
        // The composed nearest-cluster path gathers every query's window of keys and values, [.., seq / 8, headDim] each;
        // the composed balanced clusters keep [clusters, window, window] scores per head, about seq² / 8 per head, several
        // times (the fused kernel keeps one score tile per thread).
        double NearestReferenceBytes(int seq) => 4.0 * o.Batch * o.Heads * seq * (seq / Clusters) * o.HeadDim * sizeof(float);
        double BalancedBytes(int seq) => 6.0 * o.Batch * o.Heads * (double)seq * (seq / Clusters) * sizeof(float);
        return
        [
            new("generated", (q, k, v) => Routed(q, v, nearest: causal, fused: true)),
            new("balanced", (q, k, v) => Routed(q, v, nearest: false, fused: true)),
            new("reference", (q, k, v) => Routed(q, v, nearest: causal, fused: false), causal ? NearestReferenceBytes : BalancedBytes),
            new("sdpa", (q, k, v) => nn.functional.scaled_dot_product_attention(q, k, v, is_casual: causal)),
        ];
    }
}
