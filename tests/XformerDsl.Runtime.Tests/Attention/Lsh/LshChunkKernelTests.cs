using TorchSharp;
using XformerDsl.Attention.Lsh;
using XformerDsl.Attention.Sorted;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Attention.Lsh;

/// <summary>
/// The generated bucketed chunk kernels against the chunk attention composed from TorchSharp ops: outputs, log-sum-exps
/// and the gradients of the sorted queries, keys and values for upstream gradients of both outputs; and the whole LSH
/// attention with the kernel against the whole reference.
/// </summary>
public class LshChunkKernelTests
{
    public static TheoryData<string, int, bool> Cases() => new()
    {
        { nameof(LshKernel16), 1, true },
        { nameof(LshKernel16), 3, true },
        { nameof(LshKernel16), 2, false },
        { nameof(LshKernel20), 2, false },
        { nameof(LshKernel20), 3, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fused_chunk_attention_equals_the_composed_one_in_values_and_gradients(string kernel, int rounds, bool causal)
    {
        using var scope = NewDisposeScope();
        var (bucket, headDim) = kernel == nameof(LshKernel16) ? (16, 32) : (20, 24);
        long batch = 2, heads = 2, length = 4L * bucket, rows = rounds * length;
        var generator = new torch.Generator(21);
        var q = randn(new[] { batch, heads, rows, (long)headDim }, dtype: float64, generator: generator).requires_grad_(true);
        var k = randn(new[] { batch, heads, rows, (long)headDim }, dtype: float64, generator: generator).requires_grad_(true);
        var v = randn(new[] { batch, heads, rows, (long)headDim }, dtype: float64, generator: generator).requires_grad_(true);
        // A random order of the positions in every round, and the chunk each position lands in.
        var order = rand(new[] { batch, heads, (long)rounds, length }, dtype: float64, generator: generator).argsort(-1);
        var chunkOf = order.argsort(-1).div(bucket, rounding_mode: RoundingMode.floor);
        var positions = order.reshape(batch, heads, rows);
        var valid = rand(new[] { batch, length }, dtype: float64, generator: generator).gt(0.2);
        var dO = randn(new[] { batch, heads, rows, (long)headDim }, dtype: float64, generator: generator);
        var dLse = randn(new[] { batch, heads, rows }, dtype: float64, generator: generator);

        var (expected, expectedLse) = LshAttentionReference.ChunkAttention(q, k, v, positions, chunkOf, valid, bucket, causal);
        var expectedGrads = torch.autograd.grad([expected, expectedLse], [q, k, v], [dO, dLse]);
        var (actual, actualLse) = kernel == nameof(LshKernel16)
            ? LshChunkAttention<LshKernel16.SelfAttention.Kernel>.Apply(q, k, v, positions, chunkOf, valid, causal)
            : LshChunkAttention<LshKernel20.SelfAttention.Kernel>.Apply(q, k, v, positions, chunkOf, valid, causal);
        var actualGrads = torch.autograd.grad([actual, actualLse], [q, k, v], [dO, dLse]);

        AssertClose(expected, actual, "output");
        AssertClose(expectedLse, actualLse, "log-sum-exp");
        string[] names = ["query", "key", "value"];
        for (int i = 0; i < 3; i++)
            AssertClose(expectedGrads[i], actualGrads[i], names[i] + " gradient");
    }

    [Theory]
    [InlineData(true, 100)]
    [InlineData(false, 128)]
    public void Lsh_attention_with_the_kernel_equals_the_reference_with_gradients(bool padded, long seq)
    {
        using var scope = NewDisposeScope();
        var generator = new torch.Generator(5);
        var qk = randn(new[] { 2L, 2, seq, 32 }, dtype: float64, generator: generator).requires_grad_(true);
        var v = randn(new[] { 2L, 2, seq, 32 }, dtype: float64, generator: generator).requires_grad_(true);
        var mask = padded ? rand(new[] { 2L, seq }, dtype: float64, generator: generator).gt(0.1) : null;
        var rotations = LshHashing.RandomRotations(seq, 2, 32, rounds: 2, bucketSize: 16, seed: 3, CPU, float64);
        var upstream = randn(new[] { 2L, 2, seq, 32 }, dtype: float64, generator: generator);

        var expected = LshAttentionReference.Forward(qk, v, rotations, 16, causal: true, mask);
        var expectedGrads = torch.autograd.grad([expected], [qk, v], [upstream]);
        var actual = LshChunkAttention<LshKernel16.SelfAttention.Kernel>.Attend(qk, v, rotations, causal: true, mask);
        var actualGrads = torch.autograd.grad([actual], [qk, v], [upstream]);

        AssertClose(expected, actual, "output");
        AssertClose(expectedGrads[0], actualGrads[0], "query-key gradient");
        AssertClose(expectedGrads[1], actualGrads[1], "value gradient");
    }

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    public void Every_simd_width_computes_the_same_chunk_attention(int vectorBits)
    {
        using var scope = NewDisposeScope();
        const int bucket = 16, headDim = 32, rounds = 2;
        long batch = 2, heads = 2, length = 4L * bucket, rows = rounds * length;
        var generator = new torch.Generator(13);
        var q = randn(new[] { batch, heads, rows, (long)headDim }, dtype: float64, generator: generator).requires_grad_(true);
        var k = randn(new[] { batch, heads, rows, (long)headDim }, dtype: float64, generator: generator).requires_grad_(true);
        var v = randn(new[] { batch, heads, rows, (long)headDim }, dtype: float64, generator: generator).requires_grad_(true);
        var order = rand(new[] { batch, heads, (long)rounds, length }, dtype: float64, generator: generator).argsort(-1);
        var chunkOf = order.argsort(-1).div(bucket, rounding_mode: RoundingMode.floor);
        var positions = order.reshape(batch, heads, rows);
        var valid = rand(new[] { batch, length }, dtype: float64, generator: generator).gt(0.2);
        var dO = randn(new[] { batch, heads, rows, (long)headDim }, dtype: float64, generator: generator);
        var dLse = randn(new[] { batch, heads, rows }, dtype: float64, generator: generator);

        var (expected, expectedLse) = LshAttentionReference.ChunkAttention(q, k, v, positions, chunkOf, valid, bucket, causal: true);
        var expectedGrads = torch.autograd.grad([expected, expectedLse], [q, k, v], [dO, dLse]);
        using var noGrad = no_grad();
        var plan = new LshChunkAttention<LshKernel16.SelfAttention.Kernel>.Plan(SortedChunkPlan.Of(positions, chunkOf, bucket), valid.contiguous(), Causal: true);
        var (actual, actualLse) = LshChunkAttention<LshKernel16.SelfAttention.Kernel>.RunForward(q, k, v, plan, vectorBits);
        var (dq, dk, dv) = LshChunkAttention<LshKernel16.SelfAttention.Kernel>.RunBackward(q, k, v, actual, actualLse, dO, dLse, plan, vectorBits);

        AssertClose(expected, actual, "output");
        AssertClose(expectedLse, actualLse, "log-sum-exp");
        AssertClose(expectedGrads[0], dq, "query gradient");
        AssertClose(expectedGrads[1], dk, "key gradient");
        AssertClose(expectedGrads[2], dv, "value gradient");
    }

    [Fact]
    public void Float32_kernel_is_close_to_the_float64_reference()
    {
        using var scope = NewDisposeScope();
        var generator = new torch.Generator(9);
        var qk = randn(new[] { 1L, 2, 128, 32 }, dtype: float64, generator: generator);
        var v = randn(new[] { 1L, 2, 128, 32 }, dtype: float64, generator: generator);
        var rotations = LshHashing.RandomRotations(128, 2, 32, rounds: 2, bucketSize: 16, seed: 1, CPU, float64);

        var expected = LshAttentionReference.Forward(qk, v, rotations, 16, causal: true, null);
        var actual = LshChunkAttention<LshKernel16.SelfAttention.Kernel>.Attend(qk.to(float32), v.to(float32), rotations.to(float32), causal: true, null);

        Assert.True(actual.to(float64).allclose(expected, rtol: 1e-4, atol: 1e-5), $"max difference {(actual.to(float64) - expected).abs().max().item<double>()}");
    }

    // A query whose own position is hidden (padding) sees only keys scored −10⁹; its log-sum-exp near −10⁹ carries
    // float64 rounding of about 10⁻⁷ (one ulp at 10⁹), in the reference and the kernel alike, summed in different orders.
    private static void AssertClose(Tensor expected, Tensor actual, string what) =>
        Assert.True(actual.allclose(expected, rtol: 1e-7, atol: 1e-7), $"{what}: max difference {(actual - expected).abs().max().item<double>()}");
}
