using XformerDsl.Attention.Axial;
using XformerDsl.Specs;
using static TorchSharp.torch;

namespace XformerDsl.Benchmarks;

/// <summary>
/// <c>--family axial</c>: [AxialAttention] over a 128 × 128 grid, the generated row and column kernels composed by the
/// declaration's <c>Attend</c>, against the axial reference and SDPA, measured as the other sparse patterns are
/// (<see cref="PatternAttentionBenchmark"/>).
/// </summary>
internal static class AxialAttentionBenchmark
{
    public static PatternAttentionBenchmark Family { get; } = new(
        "axial", "[AxialAttention], a 128 x 128 grid (MaxLength 16384), half the heads along rows, half along columns; head size 64",
        o => o.Causal
            ? Axial(CausalAxial128.SelfAttention.Attend, CausalAxial128.Spec)
            : Axial(BidirectionalAxial128.SelfAttention.Attend, BidirectionalAxial128.Spec));

    private static (Func<Tensor, Tensor, Tensor, Tensor>, Func<Tensor, Tensor, Tensor, Tensor>) Axial(
        Func<Tensor, Tensor, Tensor, Tensor?, Tensor> attend, ModelSpec spec)
    {
        var axial = (AxialAttentionSpec)spec.Attention[0].Attention;
        return ((q, k, v) => attend(q, k, v, null), (q, k, v) => AxialAttentionReference.Forward(q, k, v, axial, spec.Causal));
    }
}
