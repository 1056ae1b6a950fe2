using XformerDsl.Attention.Recurrence;
using XformerDsl.Modules;
using Xunit;
using static TorchSharp.torch;
using static XformerDsl.Tests.Attention.AttentionKernelKit;

namespace XformerDsl.Tests.Attention.Recurrence;

/// <summary>
/// Transformer-XL's relative attention reference: every score against a loop over (query, key) pairs that computes the
/// distance, its sinusoid and both terms one at a time (causal, bidirectional, clamped, windowed); a segment with memory
/// against the same queries run over [previous; segment] with memory 0 (values and gradients); float64 finite
/// differences for u, v, W_R and the inputs; causality; the memory's bookkeeping and its lack of gradient.
/// </summary>
public class RelativeAttentionReferenceTests
{
    private const int Heads = 2, HeadDim = 4, Dim = Heads * HeadDim;

    private sealed record Case(Tensor Query, Tensor Key, Tensor Value, Tensor U, Tensor V, Tensor Projection);

    private static Case Inputs(int batch, int queries, int keys, ScalarType dtype, int seed)
    {
        manual_seed(seed);
        return new Case(
            randn(batch, Heads, queries, HeadDim, dtype: dtype), randn(batch, Heads, keys, HeadDim, dtype: dtype),
            randn(batch, Heads, keys, HeadDim, dtype: dtype), randn(Heads, HeadDim, dtype: dtype), randn(Heads, HeadDim, dtype: dtype),
            randn(Dim, Dim, dtype: dtype) * 0.3);
    }

    // W_R·R for the rows the reference reads, split into heads: [heads, rows, headDim].
    private static Tensor ProjectedRows(Tensor projection, long queries, long keys, bool causal, int clamp) =>
        nn.functional.linear(RelativePositions.Table(queries, keys, causal, clamp, Dim, dtype: projection.dtype), projection)
            .view(-1, Heads, HeadDim).transpose(0, 1);

    private static Tensor Reference(Case c, bool causal, int clamp = 0, int window = 0, Tensor? mask = null) =>
        RelativeAttentionReference.Forward(c.Query, c.Key, c.Value, c.U, c.V, ProjectedRows(c.Projection, c.Query.shape[2], c.Key.shape[2], causal, clamp), causal, window, mask);

    // Every score by hand: the distance d = memory + i − j, its sinusoid (sin on even columns, cos on odd), W_R, both terms.
    private static Tensor Explicit(Case c, bool causal, int clamp, int window)
    {
        long batch = c.Query.shape[0], queries = c.Query.shape[2], keys = c.Key.shape[2], memory = keys - queries;
        var q = c.Query.to(float64); var k = c.Key.to(float64); var v = c.Value.to(float64);
        var u = c.U.to(float64); var vb = c.V.to(float64); var w = c.Projection.to(float64);
        var output = zeros(batch, Heads, queries, HeadDim, dtype: float64);
        for (long b = 0; b < batch; b++)
        for (int h = 0; h < Heads; h++)
        for (long i = 0; i < queries; i++)
        {
            var scores = new double[keys];
            for (long j = 0; j < keys; j++)
            {
                long offset = j - (memory + i);
                bool visible = (!causal || offset <= 0) && (window == 0 || offset > -window);
                if (!visible)
                {
                    scores[j] = double.NegativeInfinity;
                    continue;
                }
                long d = memory + i - j;
                if (clamp > 0)
                    d = Math.Clamp(d, -clamp, clamp);
                var sinusoid = new double[Dim];
                for (int col = 0; col < Dim; col++)
                {
                    double angle = d / Math.Pow(10000.0, 2.0 * (col / 2) / Dim);
                    sinusoid[col] = col % 2 == 0 ? Math.Sin(angle) : Math.Cos(angle);
                }
                var r = matmul(w, tensor(sinusoid)).view(Heads, HeadDim)[h];
                double content = ((q[b, h, i] + u[h]) * k[b, h, j]).sum().item<double>();
                double position = ((q[b, h, i] + vb[h]) * r).sum().item<double>();
                scores[j] = (content + position) / Math.Sqrt(HeadDim);
            }
            double max = scores.Max();
            var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
            double total = weights.Sum();
            for (long j = 0; j < keys; j++)
                output[b, h, i] += v[b, h, j] * (weights[j] / total);
        }
        return output;
    }

    [Theory]
    [InlineData(true, 0, 0)]
    [InlineData(false, 0, 0)]
    [InlineData(true, 3, 0)]
    [InlineData(false, 2, 0)]
    [InlineData(true, 0, 4)]
    public void ScoresEqualAnExplicitComputationOverRelativeIndices(bool causal, int clamp, int window)
    {
        var c = Inputs(batch: 2, queries: 5, keys: 8, float64, seed: 1);
        AssertClose(Explicit(c, causal, clamp, window), Reference(c, causal, clamp, window), "attention", tolerance: 1e-10);
    }

    [Fact]
    public void ASegmentWithMemoryEqualsRecomputingThePreviousSegmentWithIt()
    {
        // Queries of [previous; segment] over the same keys, no memory; the segment's rows are the segment run with memory.
        const int segment = 5, previous = 6;
        var whole = Inputs(batch: 2, queries: previous + segment, keys: previous + segment, float32, seed: 2);
        var tail = whole.Query[.., .., previous..].detach().requires_grad_();
        var recomputedQuery = cat(new[] { whole.Query[.., .., ..previous], tail }, 2);
        var recomputed = RelativeAttentionReference.Forward(recomputedQuery, whole.Key, whole.Value, whole.U, whole.V,
            ProjectedRows(whole.Projection, previous + segment, previous + segment, causal: true, clamp: 0), causal: true)[.., .., previous..];
        var recomputedGradient = autograd.grad(new[] { (recomputed * Upstream(recomputed)).sum() }, new[] { tail })[0];

        var query = tail.detach().requires_grad_();
        var withMemory = RelativeAttentionReference.Forward(query, whole.Key, whole.Value, whole.U, whole.V,
            ProjectedRows(whole.Projection, segment, previous + segment, causal: true, clamp: 0), causal: true);
        var gradient = autograd.grad(new[] { (withMemory * Upstream(withMemory)).sum() }, new[] { query })[0];

        AssertClose(recomputed, withMemory, "output", tolerance: 1e-5);
        AssertClose(recomputedGradient, gradient, "gradient with respect to the segment's queries", tolerance: 1e-5);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void GradientsOfUVWrAndInputsMatchFiniteDifferences(bool causal)
    {
        var c = Inputs(batch: 1, queries: 3, keys: 5, float64, seed: 3);
        var inputs = new[] { c.Query, c.Key, c.Value, c.U, c.V, c.Projection }.Select(t => t.detach().requires_grad_()).ToArray();
        var upstream = Upstream(c.Query);
        string[] names = { "query", "key", "value", "u", "v", "W_R" };
        AssertGradientsMatchFiniteDifferences(
            t => (RelativeAttentionReference.Forward(t[0], t[1], t[2], t[3], t[4], ProjectedRows(t[5], 3, 5, causal, clamp: 0), causal) * upstream).sum(),
            i => names[i] + " gradient", inputs);
    }

    [Fact]
    public void ACausalQueryIsUnchangedByLaterKeys()
    {
        var c = Inputs(batch: 1, queries: 6, keys: 9, float32, seed: 4);
        var before = Reference(c, causal: true);
        // Keys 3 + 4 onwards come after query 3's position (memory 3 + query 3): change them all.
        var changed = c with { Key = c.Key.clone(), Value = c.Value.clone() };
        changed.Key[.., .., 7..] = randn(1, Heads, 2, HeadDim);
        changed.Value[.., .., 7..] = randn(1, Heads, 2, HeadDim);
        var after = Reference(changed, causal: true);
        Assert.True(before[.., .., ..4].eq(after[.., .., ..4]).all().item<bool>(), "queries 0–3 changed when only keys 7 and 8 did");
        Assert.False(before[.., .., 5].eq(after[.., .., 5]).all().item<bool>(), "query 5 sees keys 7 and 8, so it should change");
    }

    [Fact]
    public void MemoryKeepsTheLastPositionsOfEachLayerWithoutGradient()
    {
        using var memory = new SegmentMemory(layers: 2, length: 5);
        Assert.Null(memory[0]);
        var first = arange(3, dtype: float32).view(1, 3, 1).expand(1, 3, 2).contiguous().requires_grad_();
        var second = (arange(3, 7, dtype: float32).view(1, 4, 1).expand(1, 4, 2) * first.sum()).contiguous();
        memory.Update(0, first);
        memory.Update(0, second);
        memory.Update(1, first);

        Assert.Equal(5, memory[0]!.shape[1]);
        Assert.Equal(new float[] { 2, 3 * 6, 4 * 6, 5 * 6, 6 * 6 }, memory[0]![0, .., 0].data<float>().ToArray());
        Assert.Equal(3, memory[1]!.shape[1]);
        Assert.False(memory[0]!.requires_grad, "the memory is a constant to the next segment: stop-gradient");
        memory.Reset();
        Assert.Equal(0, memory.Positions);
    }
}
