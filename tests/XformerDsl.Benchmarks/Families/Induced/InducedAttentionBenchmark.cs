using XformerDsl.Attention.Full;
using XformerDsl.Autograd;
using static TorchSharp.torch;

namespace XformerDsl.Benchmarks;

/// <summary>
/// <c>--family induced</c>: the two attentions of Set Transformer's ISAB on the same q, k, v: <c>--points</c> inducing
/// points attend to the keys and values (H = MAB(I, X)), then every query attends to the m summaries H, used as both
/// keys and values; with the generated kernel and with the composed reference, against SDPA's full attention over the
/// same q, k, v as the baseline it replaces. The points are drawn once, outside the timing; the projections, norms and
/// feed-forward of the layer (O(L·Dim²) and O(m·Dim²), as full attention's) are not part of the comparison.
/// </summary>
internal sealed class InducedAttentionBenchmark : IAttentionBenchmarkFamily
{
    private const int HeadDim = 64;

    public string Name => "induced";

    public string Help => "[InducedAttention] (Set Transformer ISAB): --points inducing points over the keys, then the queries over them; its sdpa row is full attention; bidirectional only (--causal false); head size 64";

    public IReadOnlyList<AttentionImplementation> Implementations(BenchmarkOptions o)
    {
        if (o.HeadDim != HeadDim)
            throw new ArgumentException($"--head-dim {o.HeadDim}: the benchmark declares the induced kernel for head size {HeadDim}.");
        if (o.Causal)
            throw new ArgumentException("--causal true: inducing-point attention is bidirectional only (a causal declaration is XF0130); pass --causal false.");
        Tensor? points = null;
        Tensor PointsLike(Tensor k)
        {
            // Drawn lazily so that building the list costs nothing; kept outside every dispose scope.
            if (points is null || points.shape[0] != k.shape[0] || points.shape[1] != k.shape[1] || points.dtype != k.dtype)
            {
                manual_seed(1);
                points = randn(k.shape[0], k.shape[1], o.Points, HeadDim, dtype: k.dtype).DetachFromDisposeScope();
            }
            return points;
        }
        Tensor Induced(Tensor q, Tensor k, Tensor v, Func<Tensor, Tensor, Tensor, Tensor> attend)
        {
            var summaries = attend(PointsLike(k), k, v);
            return attend(q, summaries, summaries);
        }
        return
        [
            new("generated", (q, k, v) => Induced(q, k, v, (a, b, c) => FusedAttention<BidirectionalInduced64.SelfAttention.Kernel>.Apply(a, b, c, null))),
            new("reference", (q, k, v) => Induced(q, k, v, (a, b, c) => FullAttentionReference.Forward(a, b, c, causal: false))),
            new("sdpa", (q, k, v) => nn.functional.scaled_dot_product_attention(q, k, v, is_casual: false)),
        ];
    }
}
