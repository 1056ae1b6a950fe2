using XformerDsl.Attention.Recurrence;
using static TorchSharp.torch;

namespace XformerDsl.Benchmarks;

/// <summary>
/// <c>--family xl</c>: Transformer-XL's attention of a segment of <c>--seq</c> queries over <c>--memory</c> memory
/// positions (default 1024) and the segment, causal. The memory's keys and values are constants drawn once (the memory
/// carries no gradient); u, v and the projected distance rows W_R·R are learned inputs whose gradients the backward pass
/// computes. generated is the fused kernel the generated layer calls (<c>FusedRelativeAttention</c>), reference
/// <c>RelativeAttentionReference</c>, the path for what the kernel does not serve; sdpa is libtorch's attention over the same [memory; segment] keys with the same causal mask but <b>without</b> the
/// relative-position term, the baseline a fused kernel has to meet while computing that term.
/// </summary>
internal sealed class SegmentRecurrenceBenchmark : IAttentionBenchmarkFamily
{
    public string Name => "xl";

    private const int HeadDim = 64;

    public string Help => "[SegmentRecurrence] (Transformer-XL), a segment over --memory positions before it, causal; sdpa has no relative-position term; head size 64";

    public int? Memory(BenchmarkOptions options) => options.Memory;

    public IReadOnlyList<AttentionImplementation> Implementations(BenchmarkOptions o)
    {
        if (o.HeadDim != HeadDim)
            throw new ArgumentException($"--head-dim {o.HeadDim}: the benchmark declares the Transformer-XL kernel for head size {HeadDim}.");
        if (!o.Causal)
            throw new ArgumentException("--causal false: segment recurrence is causal only (a bidirectional declaration is XF0140); pass --causal true.");
        int memory = o.Memory, heads = o.Heads, headDim = o.HeadDim;
        var learned = new Dictionary<long, (Tensor U, Tensor V, Tensor Positions)>();
        Tensor? memoryKeys = null, memoryValues = null;

        // The memory's keys and values and the learned inputs for a segment of `seq`, drawn once and kept outside every dispose scope.
        (Tensor Keys, Tensor Values, Tensor U, Tensor V, Tensor Positions) Inputs(Tensor k, Tensor v)
        {
            long seq = k.shape[2];
            if (memoryKeys is null || memoryValues is null)
            {
                manual_seed(2);
                memoryKeys = randn(o.Batch, heads, memory, headDim).DetachFromDisposeScope();
                memoryValues = randn(o.Batch, heads, memory, headDim).DetachFromDisposeScope();
            }
            if (!learned.TryGetValue(seq, out var p))
            {
                manual_seed(3);
                p = (randn(heads, headDim).requires_grad_().DetachFromDisposeScope(), randn(heads, headDim).requires_grad_().DetachFromDisposeScope(),
                    (randn(heads, memory + seq, headDim) * 0.1).requires_grad_().DetachFromDisposeScope());
                learned[seq] = p;
            }
            return (cat(new[] { memoryKeys, k }, 2), cat(new[] { memoryValues, v }, 2), p.U, p.V, p.Positions);
        }

        return
        [
            new("generated", (q, k, v) =>
            {
                var (keys, values, u, bias, positions) = Inputs(k, v);
                return FusedRelativeAttention<SegmentRecurrent64.SelfAttention.Kernel>.Apply(q, keys, values, u, bias, positions, null);
            },
            LearnedInputs: () => learned.Values.SelectMany(p => new[] { p.U, p.V, p.Positions }).ToArray()),
            new("reference", (q, k, v) =>
            {
                var (keys, values, u, bias, positions) = Inputs(k, v);
                return RelativeAttentionReference.Forward(q, keys, values, u, bias, positions, causal: true);
            },
            // About seven [batch, heads, seq, memory + seq] float tensors live for the backward pass.
            EstimatedBytes: seq => 7.0 * 4 * o.Batch * heads * seq * (memory + (double)seq),
            LearnedInputs: () => learned.Values.SelectMany(p => new[] { p.U, p.V, p.Positions }).ToArray()),
            new("sdpa", (q, k, v) =>
            {
                var (keys, values, _, _, _) = Inputs(k, v);
                using var visible = RelativeAttentionReference.Visibility(q.shape[2], memory, keys.shape[2], causal: true, window: 0, q.device)!;
                return nn.functional.scaled_dot_product_attention(q, keys, values, attn_mask: visible);
            }),
        ];
    }
}
