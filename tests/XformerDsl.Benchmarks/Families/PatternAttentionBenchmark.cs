using XformerDsl.Attention.Patterns;
using XformerDsl.Autograd;
using XformerDsl.Specs;
using static TorchSharp.torch;

namespace XformerDsl.Benchmarks;

/// <summary>
/// <c>--family sliding</c> (<c>--window 128|256|512</c>) and <c>--family local</c> (<c>--block 64|128|256</c>, the
/// previous block too, and the next when bidirectional): the generated block-sparse kernel, the full reference under
/// the pattern as a dense mask (while it fits), and SDPA over the whole sequence (causal when the model is), the
/// baseline a sparse pattern has to beat.
/// </summary>
internal sealed class PatternAttentionBenchmark : IAttentionBenchmarkFamily
{
    private readonly bool _sliding;

    private PatternAttentionBenchmark(bool sliding) => _sliding = sliding;

    public static PatternAttentionBenchmark Sliding { get; } = new(sliding: true);
    public static PatternAttentionBenchmark Local { get; } = new(sliding: false);

    public string Name => _sliding ? "sliding" : "local";

    public IReadOnlyList<AttentionImplementation> Implementations(BenchmarkOptions o)
    {
        if (o.HeadDim != 64)
            throw new ArgumentException($"--head-dim {o.HeadDim}: the {Name} benchmark declares kernels for head size 64 only.");
        bool causal = o.Causal;
        var (generated, spec) = _sliding ? SlidingKernel(o.Window, causal) : LocalKernel(o.Block, causal);
        // The reference keeps about eight [batch, heads, seq, seq] float32 matrices alive through the backward pass.
        double ReferenceBytes(int seq) => 8.0 * o.Batch * o.Heads * seq * (double)seq * sizeof(float);
        return
        [
            new("generated", generated),
            new("reference", (q, k, v) => PatternAttentionReference.Forward(q, k, v, spec, causal), ReferenceBytes),
            new("sdpa", (q, k, v) => nn.functional.scaled_dot_product_attention(q, k, v, is_casual: causal)),
        ];
    }

    private static (Func<Tensor, Tensor, Tensor, Tensor>, PatternAttentionSpec) SlidingKernel(int window, bool causal) => (window, causal) switch
    {
        (128, true) => Of<CausalSliding128.SelfAttention.Kernel>(CausalSliding128.Spec),
        (256, true) => Of<CausalSliding256.SelfAttention.Kernel>(CausalSliding256.Spec),
        (512, true) => Of<CausalSliding512.SelfAttention.Kernel>(CausalSliding512.Spec),
        (128, false) => Of<BidirectionalSliding128.SelfAttention.Kernel>(BidirectionalSliding128.Spec),
        (256, false) => Of<BidirectionalSliding256.SelfAttention.Kernel>(BidirectionalSliding256.Spec),
        (512, false) => Of<BidirectionalSliding512.SelfAttention.Kernel>(BidirectionalSliding512.Spec),
        _ => throw new ArgumentException($"--window {window}: the sliding benchmark declares windows of 128, 256 and 512."),
    };

    private static (Func<Tensor, Tensor, Tensor, Tensor>, PatternAttentionSpec) LocalKernel(int block, bool causal) => (block, causal) switch
    {
        (64, true) => Of<CausalLocal64.SelfAttention.Kernel>(CausalLocal64.Spec),
        (128, true) => Of<CausalLocal128.SelfAttention.Kernel>(CausalLocal128.Spec),
        (256, true) => Of<CausalLocal256.SelfAttention.Kernel>(CausalLocal256.Spec),
        (64, false) => Of<BidirectionalLocal64.SelfAttention.Kernel>(BidirectionalLocal64.Spec),
        (128, false) => Of<BidirectionalLocal128.SelfAttention.Kernel>(BidirectionalLocal128.Spec),
        (256, false) => Of<BidirectionalLocal256.SelfAttention.Kernel>(BidirectionalLocal256.Spec),
        _ => throw new ArgumentException($"--block {block}: the local benchmark declares blocks of 64, 128 and 256."),
    };

    private static (Func<Tensor, Tensor, Tensor, Tensor>, PatternAttentionSpec) Of<TKernel>(ModelSpec spec) where TKernel : IFusedAttentionKernel =>
        ((q, k, v) => FusedAttention<TKernel>.Apply(q, k, v, null), (PatternAttentionSpec)spec.Attention[0].Attention);
}
