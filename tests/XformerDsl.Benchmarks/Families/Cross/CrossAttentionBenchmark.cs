using XformerDsl.Attention.Full;
using XformerDsl.Autograd;
using static TorchSharp.torch;

namespace XformerDsl.Benchmarks;

/// <summary>
/// <c>--family cross</c>: an encoder–decoder's cross-attention, queries of length <c>--seq</c> attending to keys and
/// values of length <c>--source-seq</c> (default: the same), every query seeing every key. The generated
/// <c>Decoder.CrossAttention.Kernel</c>, the composed reference and SDPA, all bidirectional whatever <c>--causal</c>
/// says, and without key padding, as the other families measure theirs.
/// </summary>
internal sealed class CrossAttentionBenchmark : IAttentionBenchmarkFamily
{
    public string Name => "cross";

    public string Help => "[Encoder] cross-attention (Decoder.CrossAttention.Kernel): --seq queries attend to --source-seq keys " +
        "(default: as many), bidirectional whatever --causal says; head size 64";

    public bool AttendsToSource => true;

    public double? ForwardFlops(BenchmarkOptions o, int seq, int keys, bool causal) => FullAttentionBenchmark.SoftmaxFlops(o, seq, keys, causal: false);

    public IReadOnlyList<AttentionImplementation> Implementations(BenchmarkOptions o)
    {
        if (o.HeadDim != 64)
            throw new ArgumentException($"--head-dim {o.HeadDim}: the cross benchmark declares a kernel for head size 64 only.");
        // The reference keeps about eight [batch, heads, seq, sourceSeq] float32 matrices alive through the backward pass.
        double ReferenceBytes(int seq) => 8.0 * o.Batch * o.Heads * seq * (double)(o.SourceSeq ?? seq) * sizeof(float);
        return
        [
            new("generated", (q, k, v) => FusedAttention<Cross64.Decoder.CrossAttention.Kernel>.Apply(q, k, v, null)),
            new("reference", (q, k, v) => FullAttentionReference.Forward(q, k, v, causal: false, null), ReferenceBytes),
            new("sdpa", (q, k, v) => nn.functional.scaled_dot_product_attention(q, k, v, is_casual: false)),
        ];
    }
}
