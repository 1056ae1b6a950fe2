using XformerDsl.Attention.Sinkhorn;
using XformerDsl.Autograd;
using Xunit;
using static TorchSharp.torch;
using static XformerDsl.Tests.Attention.AttentionKernelKit;

namespace XformerDsl.Tests.Attention.Sinkhorn;

/// <summary>
/// The generated Sinkhorn kernels against the composed reference, values and gradients (queries, keys, values and the
/// sorting projection) in float32 and float64, with padding, batches, lengths that are not whole blocks, and seeded
/// Gumbel noise in training; the block kernel's gradients against float64 finite differences; the SortCut path on the
/// bidirectional softmax kernel.
/// </summary>
public class SinkhornKernelTests
{
    private delegate Tensor Attention(Tensor q, Tensor k, Tensor v, Tensor projection, SinkhornSettings settings, bool training, Tensor? mask);

    private sealed record KernelCase(string Name, int Heads, int HeadDim, SinkhornSettings Settings, Attention Fused);

    private static readonly Dictionary<string, KernelCase> s_kernels = new[]
    {
        new KernelCase(nameof(TinySinkhornLm), 2, 8, new SinkhornSettings(4, 5, 0.75, Causal: true),
            SinkhornBlockAttention<TinySinkhornLm.SelfAttention.Kernel>.Attend),
        new KernelCase(nameof(TinySinkhornClassifier), 2, 8, new SinkhornSettings(4, 7, 0.75, Causal: false),
            SinkhornBlockAttention<TinySinkhornClassifier.SelfAttention.Kernel>.Attend),
        new KernelCase(nameof(SinkhornKernel16), 2, 16, new SinkhornSettings(16, 3, 2.0, Causal: true),
            SinkhornBlockAttention<SinkhornKernel16.SelfAttention.Kernel>.Attend),
        new KernelCase(nameof(TinySortCutClassifier), 2, 8, new SinkhornSettings(4, 7, 0.75, Causal: false, SortCut: 3),
            (q, k, v, w, settings, training, mask) => SinkhornAttentionReference.Attend(q, k, v, w, settings, training, mask,
                (query, _, _, sorted, _) => FusedAttention<TinySortCutClassifier.SelfAttention.Kernel>.Apply(query, sorted.Key, sorted.Value,
                    SinkhornAttentionReference.SortedKeyMask(sorted, settings)))),
    }.ToDictionary(c => c.Name);

    public static TheoryData<string, int, int, bool, bool, bool> Cases() => new()
    {
        // kernel, batch, seq, padded, float64, training
        { nameof(TinySinkhornLm), 2, 32, false, true, false },
        { nameof(TinySinkhornLm), 3, 30, true, false, false },
        { nameof(TinySinkhornLm), 2, 17, true, true, true },
        { nameof(TinySinkhornClassifier), 2, 32, true, true, false },
        { nameof(TinySinkhornClassifier), 1, 9, false, false, true },
        { nameof(SinkhornKernel16), 2, 64, true, true, false },
        { nameof(SinkhornKernel16), 1, 40, false, false, true },
        { nameof(TinySortCutClassifier), 2, 32, true, true, false },
        { nameof(TinySortCutClassifier), 2, 20, false, false, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fused_values_and_gradients_equal_the_composed_reference(string kernel, int batch, int seq, bool padded, bool float64, bool training)
    {
        var c = s_kernels[kernel];
        var dtype = float64 ? ScalarType.Float64 : ScalarType.Float32;
        var (q, k, v) = Inputs(batch, c.Heads, seq, c.HeadDim, dtype, seed: seq + batch);
        manual_seed(seq);
        var w = (eye(c.HeadDim, dtype: dtype) + 0.3 * randn(c.HeadDim, c.HeadDim, dtype: dtype)).requires_grad_();
        var mask = padded ? RandomPadding(batch, seq, seed: seq) : null;
        var upstream = Upstream(q);
        Assert.Null(FusedKernelSupport.WhyNotFused(q, k, v, mask));   // the fused path runs, not its fallback

        (Tensor Output, Tensor[] Gradients) Run(Attention attention)
        {
            var inputs = new[] { q, k, v, w }.Select(t => t.detach().requires_grad_()).ToArray();
            using var enabled = enable_grad();
            manual_seed(77);   // the same Gumbel noise on both sides in training
            var output = attention(inputs[0], inputs[1], inputs[2], inputs[3], c.Settings, training, mask);
            (output * upstream).sum().backward();
            return (output.detach(), inputs.Select(t => t.grad!).ToArray());
        }

        var (reference, referenceGradients) = Run(SinkhornAttentionReference.Forward);
        var (fused, fusedGradients) = Run(c.Fused);
        double tolerance = float64 ? 1e-10 : 1e-4;
        AssertClose(reference, fused, "output", tolerance);
        for (int i = 0; i < 4; i++)
            AssertClose(referenceGradients[i], fusedGradients[i], i == 3 ? "sorting projection gradient" : GradientName(i), tolerance);
    }

    [Theory]
    [InlineData(nameof(TinySinkhornLm))]
    [InlineData(nameof(TinySinkhornClassifier))]
    public void Block_kernel_gradients_match_float64_finite_differences(string kernel)
    {
        var c = s_kernels[kernel];
        var (q, k, v) = Inputs(1, c.Heads, 12, c.HeadDim, float64, seed: 31);
        manual_seed(32);
        var w = (eye(c.HeadDim, dtype: float64) + 0.3 * randn(c.HeadDim, c.HeadDim, dtype: float64)).requires_grad_();
        var mask = RandomPadding(1, 12, seed: 33);
        var upstream = Upstream(q);
        AssertGradientsMatchFiniteDifferences(
            inputs => (c.Fused(inputs[0], inputs[1], inputs[2], inputs[3], c.Settings, false, mask) * upstream).sum(),
            i => i == 3 ? "sorting projection gradient" : GradientName(i), q, k, v, w);
    }

    [Fact]
    public void The_block_kernel_refuses_settings_it_was_not_generated_for()
    {
        var (q, k, v) = Inputs(1, 2, 8, 8, float32, seed: 1);
        var error = Assert.Throws<ArgumentException>(() => SinkhornBlockAttention<TinySinkhornLm.SelfAttention.Kernel>.Attend(
            q, k, v, eye(8), new SinkhornSettings(8, 5, 0.75, Causal: true), false, null));
        Assert.Contains("blocks of 4", error.Message);
    }
}
