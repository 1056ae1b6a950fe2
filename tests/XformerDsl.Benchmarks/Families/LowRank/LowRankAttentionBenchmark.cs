using XformerDsl.Attention.Full;
using XformerDsl.Autograd;
using static TorchSharp.torch;

namespace XformerDsl.Benchmarks;

/// <summary>
/// <c>--family lowrank</c>: Linformer's attention (keys and values projected along the length to <c>--projected</c> rows
/// (default 256) by one E and one F, then attention over those rows) with the generated kernel and with the composed reference, against SDPA's full
/// attention on the same tensors as the baseline it replaces. E and F are drawn once, outside the timing; the
/// projections are timed, as they are part of the layer's attention.
/// </summary>
internal sealed class LowRankAttentionBenchmark : IAttentionBenchmarkFamily
{
    /// <summary>The benchmark model's MaxLength: the longest --seq, and the most rows --projected can ask for.</summary>
    public const int MaxLength = 16384;

    private const int HeadDim = 64;

    public string Name => "lowrank";

    public string Help => "[LowRankAttention] (Linformer), keys and values projected to --projected rows; its sdpa row is full attention; bidirectional only (--causal false); head size 64";

    public IReadOnlyList<AttentionImplementation> Implementations(BenchmarkOptions o)
    {
        if (o.HeadDim != HeadDim)
            throw new ArgumentException($"--head-dim {o.HeadDim}: the benchmark declares the low-rank kernel for head size {HeadDim}.");
        if (o.Causal)
            throw new ArgumentException("--causal true: low-rank attention is bidirectional only (a causal declaration is XF0100); pass --causal false.");
        if (o.Projected > MaxLength)
            throw new ArgumentException($"--projected {o.Projected}: E and F project at most MaxLength = {MaxLength} positions; pass --projected {MaxLength} or less.");
        int projectedLength = o.Projected;
        Tensor? e = null, f = null;
        (Tensor Keys, Tensor Values) Project(Tensor k, Tensor v)
        {
            if (e is null || f is null)
            {
                // Drawn lazily so that building the list costs nothing; kept outside every dispose scope.
                manual_seed(1);
                e = (randn(projectedLength, MaxLength) / Math.Sqrt(MaxLength)).DetachFromDisposeScope();
                f = (randn(projectedLength, MaxLength) / Math.Sqrt(MaxLength)).DetachFromDisposeScope();
            }
            long seq = k.shape[2];
            return (matmul(e.narrow(1, 0, seq), k), matmul(f.narrow(1, 0, seq), v));
        }
        return
        [
            new("generated", (q, k, v) =>
            {
                var (keys, values) = Project(k, v);
                return FusedAttention<BidirectionalLowRank64.SelfAttention.Kernel>.Apply(q, keys, values, null);
            }),
            new("reference", (q, k, v) =>
            {
                var (keys, values) = Project(k, v);
                return FullAttentionReference.Forward(q, keys, values, causal: false);
            }),
            new("sdpa", (q, k, v) => nn.functional.scaled_dot_product_attention(q, k, v, is_casual: false)),
        ];
    }
}
