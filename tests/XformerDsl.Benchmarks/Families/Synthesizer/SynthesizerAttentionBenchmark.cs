using XformerDsl.Attention.Full;
using XformerDsl.Autograd;
using static TorchSharp.torch;

namespace XformerDsl.Benchmarks;

/// <summary>
/// <c>--family synthesizer</c>: Synthesizer attention with the generated score-bias kernel and with the composed
/// reference (<c>FullAttentionReference.WithScoreBias</c>), against SDPA's full attention over the same q, k, v. The
/// synthetic logits are built inside the timing from learned tensors drawn once (sized for the longest --seq), and
/// their gradients are part of the backward pass, as in training. <c>--mode</c>: <c>random</c> (a
/// <c>[heads, seq, seq]</c> view of a learned matrix, bias-only kernel), <c>factorized-random</c> (R₁·R₂ᵀ of rank 16),
/// <c>dense</c> (per-batch logits from the queries through a learned <c>[heads, seq, headDim]</c> layer, standing for
/// the dense layers on the token), <c>mixed</c> (random logits added to the dot products).
/// </summary>
internal sealed class SynthesizerAttentionBenchmark : IAttentionBenchmarkFamily
{
    private const int HeadDim = 64, Rank = 16;

    /// <summary>The <c>--mode</c> values.</summary>
    public static readonly string[] Modes = ["random", "factorized-random", "dense", "mixed"];

    public string Name => "synthesizer";

    public string Help => $"[SynthesizerAttention], --mode {CommandLine.OneOf(Modes)}; its sdpa row is full attention over the same q, k, v; head size 64";

    public IReadOnlyList<AttentionImplementation> Implementations(BenchmarkOptions o)
    {
        if (o.HeadDim != HeadDim)
            throw new ArgumentException($"--head-dim {o.HeadDim}: the benchmark declares the synthesizer kernels for head size {HeadDim}.");
        if (!Modes.Contains(o.Mode))
            throw new ArgumentException($"--mode {o.Mode}: the synthesizer benchmark knows {CommandLine.OneOf(Modes)}.");
        bool causal = o.Causal, mixed = o.Mode == "mixed";
        int longest = o.Seq.Max();
        Tensor[]? learned = null;
        Tensor[] Learned()
        {
            // Drawn lazily so that building the list costs nothing; kept outside every dispose scope, with gradients.
            learned ??= (o.Mode switch
            {
                "factorized-random" => new[] { randn(o.Heads, longest, Rank) / Math.Sqrt(Rank), randn(o.Heads, longest, Rank) },
                "dense" => [randn(o.Heads, longest, HeadDim) / Math.Sqrt(HeadDim)],
                _ => [randn(o.Heads, longest, longest)],
            }).Select(t => t.DetachFromDisposeScope().requires_grad_()).ToArray();
            return learned;
        }
        Tensor Logits(Tensor q)
        {
            var t = Learned();
            long seq = q.shape[2];
            return o.Mode switch
            {
                "factorized-random" => matmul(t[0].narrow(1, 0, seq), t[1].narrow(1, 0, seq).transpose(1, 2)),
                "dense" => matmul(q, t[0].narrow(1, 0, seq).transpose(1, 2)),
                // As the generated layer: the whole matrix at its full length, since narrowing it costs a zero-filled copy of
                // its gradient in the backward pass.
                _ => seq == t[0].shape[1] ? t[0] : t[0].narrow(1, 0, seq).narrow(2, 0, seq),
            };
        }
        Func<Tensor, Tensor, Tensor, Tensor> generated = (mixed, causal) switch
        {
            (false, true) => (q, k, v) => FusedBiasedAttention<CausalSynthesizer64.SelfAttention.Kernel>.ApplyBias(Logits(q), v, null),
            (false, false) => (q, k, v) => FusedBiasedAttention<BidirectionalSynthesizer64.SelfAttention.Kernel>.ApplyBias(Logits(q), v, null),
            (true, true) => (q, k, v) => FusedBiasedAttention<CausalMixedSynthesizer64.SelfAttention.Kernel>.Apply(q, k, v, null, Logits(q)),
            (true, false) => (q, k, v) => FusedBiasedAttention<BidirectionalMixedSynthesizer64.SelfAttention.Kernel>.Apply(q, k, v, null, Logits(q)),
        };
        // The reference keeps about eight [batch, heads, seq, seq] float32 matrices alive through the backward pass.
        double ReferenceBytes(int seq) => 8.0 * o.Batch * o.Heads * seq * (double)seq * sizeof(float);
        return
        [
            new("generated", generated, LearnedInputs: Learned),
            new("reference", (q, k, v) => FullAttentionReference.WithScoreBias(mixed ? q : null, mixed ? k : null, v, Logits(q), causal),
                ReferenceBytes, Learned),
            new("sdpa", (q, k, v) => nn.functional.scaled_dot_product_attention(q, k, v, is_casual: causal)),
        ];
    }
}
