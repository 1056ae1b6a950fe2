using XformerDsl.Attention.Recurrence;
using Xunit;
using static TorchSharp.torch;
using static XformerDsl.Tests.Attention.AttentionKernelKit;

namespace XformerDsl.Tests.Attention.Recurrence;

/// <summary>
/// Declared for its generated kernel: heads of 32 with 64 × 64 tiles, so segments and memories span several tiles and
/// the last query tile is partial.
/// </summary>
[Transformer(Vocab = 16, Dim = 64, Depth = 1, MaxLength = 96)]
[SegmentRecurrence(Heads = 2, Memory = 48)]
[Positions(Kind = PositionEncoding.Relative)]
public partial class TiledTransformerXl;

/// <summary>
/// Transformer-XL's fused kernel against <see cref="RelativeAttentionReference"/>: values and the gradients of the
/// queries, keys, values, u, v and W_R (through the projected distance rows) with memories of 0, shorter and longer
/// than the segment, with <c>SameLength</c>, <c>ClampLength</c>, batches and padding, in float32 and float64; and float64
/// finite differences through the kernel.
/// </summary>
public class FusedRelativeAttentionTests
{
    private delegate Tensor Attention(Tensor query, Tensor key, Tensor value, Tensor u, Tensor v, Tensor positions, Tensor? mask);

    private sealed record Kernel(string Name, int Heads, int HeadDim, int Window, Attention Fused);

    private static Kernel Of<TKernel>(string name, int heads, int window) where TKernel : IFusedRelativeAttentionKernel =>
        new(name, heads, TKernel.HeadDim, window, FusedRelativeAttention<TKernel>.Apply);

    private static readonly Dictionary<string, Kernel> s_kernels = new[]
    {
        Of<TinyTransformerXl.SelfAttention.Kernel>(nameof(TinyTransformerXl), heads: 2, window: 0),
        Of<TinySameLengthXl.SelfAttention.Kernel>(nameof(TinySameLengthXl), heads: 4, window: 4),
        Of<TiledTransformerXl.SelfAttention.Kernel>(nameof(TiledTransformerXl), heads: 2, window: 0),
    }.ToDictionary(k => k.Name);

    private sealed record Case(Tensor Query, Tensor Key, Tensor Value, Tensor U, Tensor V, Tensor Projection, int Clamp, Tensor? Mask);

    private static Case Inputs(Kernel kernel, int batch, int queries, int memory, ScalarType dtype, int clamp, bool padded, int seed)
    {
        manual_seed(seed);
        int keys = memory + queries, dim = kernel.Heads * kernel.HeadDim;
        return new Case(
            randn(batch, kernel.Heads, queries, kernel.HeadDim, dtype: dtype), randn(batch, kernel.Heads, keys, kernel.HeadDim, dtype: dtype),
            randn(batch, kernel.Heads, keys, kernel.HeadDim, dtype: dtype), randn(kernel.Heads, kernel.HeadDim, dtype: dtype),
            randn(kernel.Heads, kernel.HeadDim, dtype: dtype), randn(dim, dim, dtype: dtype) / Math.Sqrt(dim), clamp,
            padded ? RandomPadding(batch, keys, seed) : null);
    }

    // W_R·R over the segment's distance rows, split into heads: [heads, keys, headDim], as the generated layer makes them.
    private static Tensor Positions(Kernel kernel, Tensor projection, long queries, long keys, int clamp) =>
        nn.functional.linear(RelativePositions.Table(queries, keys, causal: true, clamp, projection.shape[0], dtype: projection.dtype), projection)
            .view(keys, kernel.Heads, kernel.HeadDim).transpose(0, 1);

    private static Attention ReferenceOf(Kernel kernel) => (q, k, v, u, vb, p, m) =>
        RelativeAttentionReference.Forward(q, k, v, u, vb, p, causal: true, kernel.Window, m);

    // The output and the gradients of sum(output ⊙ upstream) with respect to query, key, value, u, v and W_R.
    private static (Tensor Output, Tensor[] Gradients) Run(Kernel kernel, Attention attention, Case c, Tensor upstream)
    {
        var leaves = new[] { c.Query, c.Key, c.Value, c.U, c.V, c.Projection }.Select(t => t.detach().requires_grad_()).ToArray();
        using var enabled = enable_grad();
        var positions = Positions(kernel, leaves[5], c.Query.shape[2], c.Key.shape[2], c.Clamp);
        var output = attention(leaves[0], leaves[1], leaves[2], leaves[3], leaves[4], positions, c.Mask);
        (output * upstream).sum().backward();
        return (output.detach(), leaves.Select(leaf => leaf.grad!).ToArray());
    }

    private static readonly string[] s_names = { "query", "key", "value", "u", "v", "W_R" };

    [Theory]
    // Memory 0, shorter than the segment, longer than MaxLength; one batch, padding; the tiny models' tiles of 12 × 16.
    [InlineData(nameof(TinyTransformerXl), 1, 7, 0, 0, false)]
    [InlineData(nameof(TinyTransformerXl), 2, 12, 5, 0, true)]
    [InlineData(nameof(TinyTransformerXl), 2, 9, 30, 0, false)]
    [InlineData(nameof(TinyTransformerXl), 1, 5, 20, 6, true)]
    // SameLength: each query sees the 4 keys ending at itself, with the memory filling and full; clamped distances.
    [InlineData(nameof(TinySameLengthXl), 2, 12, 0, 5, false)]
    [InlineData(nameof(TinySameLengthXl), 1, 10, 3, 5, true)]
    [InlineData(nameof(TinySameLengthXl), 2, 11, 20, 5, false)]
    // 64 × 64 tiles: a partial query tile, memories within one tile and across several.
    [InlineData(nameof(TiledTransformerXl), 1, 70, 0, 0, false)]
    [InlineData(nameof(TiledTransformerXl), 2, 93, 50, 0, true)]
    [InlineData(nameof(TiledTransformerXl), 1, 66, 130, 40, false)]
    public void MatchesTheReferenceInValuesAndGradients(string model, int batch, int queries, int memory, int clamp, bool padded)
    {
        var kernel = s_kernels[model];
        foreach (var (dtype, tolerance) in new[] { (float32, 2e-4), (float64, 1e-10) })
        {
            var c = Inputs(kernel, batch, queries, memory, dtype, clamp, padded, seed: queries + memory);
            var upstream = Upstream(c.Query);
            var (expected, expectedGradients) = Run(kernel, ReferenceOf(kernel), c, upstream);
            var (actual, actualGradients) = Run(kernel, kernel.Fused, c, upstream);
            AssertClose(expected, actual, $"{dtype} output", tolerance);
            for (int i = 0; i < s_names.Length; i++)
                AssertClose(expectedGradients[i], actualGradients[i], $"{dtype} {s_names[i]} gradient", tolerance);
        }
    }

    [Theory]
    [InlineData(nameof(TinyTransformerXl), 0)]
    [InlineData(nameof(TinyTransformerXl), 4)]
    [InlineData(nameof(TinySameLengthXl), 3)]
    public void GradientsMatchFiniteDifferencesThroughTheKernel(string model, int memory)
    {
        var kernel = s_kernels[model];
        var c = Inputs(kernel, batch: 1, queries: 3, memory, float64, clamp: 0, padded: false, seed: 5);
        var inputs = new[] { c.Query, c.Key, c.Value, c.U, c.V, c.Projection }.Select(t => t.detach().requires_grad_()).ToArray();
        var upstream = Upstream(c.Query);
        AssertGradientsMatchFiniteDifferences(
            t => (kernel.Fused(t[0], t[1], t[2], t[3], t[4], Positions(kernel, t[5], 3, 3 + memory, clamp: 0), null) * upstream).sum(),
            i => s_names[i] + " gradient", inputs);
    }

    [Fact]
    public void AQueryIsUnchangedByKeysAfterItsPosition()
    {
        var kernel = s_kernels[nameof(TiledTransformerXl)];
        const int queries = 70, memory = 20;
        var c = Inputs(kernel, batch: 1, queries, memory, float32, clamp: 0, padded: false, seed: 6);
        var positions = Positions(kernel, c.Projection, queries, queries + memory, clamp: 0);
        var before = kernel.Fused(c.Query, c.Key, c.Value, c.U, c.V, positions, null);
        // Query 40 sits at key position 60: change every key and value after it.
        var key = c.Key.clone();
        var value = c.Value.clone();
        key[.., .., 61..] = randn(1, kernel.Heads, queries + memory - 61, kernel.HeadDim);
        value[.., .., 61..] = randn(1, kernel.Heads, queries + memory - 61, kernel.HeadDim);
        var after = kernel.Fused(c.Query, key, value, c.U, c.V, positions, null);
        Assert.True(before[.., .., ..41].eq(after[.., .., ..41]).all().item<bool>(), "queries 0–40 changed when only keys after position 60 did");
        Assert.False(before[.., .., 41].eq(after[.., .., 41]).all().item<bool>(), "query 41 sees key 61, so it should change");
    }
}
