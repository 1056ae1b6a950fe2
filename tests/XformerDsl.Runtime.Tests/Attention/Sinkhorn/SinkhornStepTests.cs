using TorchSharp;
using XformerDsl.Attention.Sinkhorn;
using XformerDsl.Modules;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Attention.Sinkhorn;

/// <summary>
/// A causal Sinkhorn layer steps token by token from <see cref="SinkhornStepState"/>, equal to the parallel (evaluation)
/// forward at every position: alone over 4,096 tokens and 64 blocks in float32; with a batch whose sequences are at
/// different positions, and after a beam-search reorder; in a generated model with some sequences waiting. The model-wide
/// property (every causal model that steps) is <see cref="Models.StepPropertyTests"/>.
/// </summary>
public class SinkhornStepTests
{
    // Queries and keys with a random offset per block, so pooled summaries differ and the sorting is far from uniform.
    private static (Tensor Query, Tensor Key, Tensor Value, Tensor Projection) Inputs(long batch, long heads, long length, long headDim, int block, ScalarType dtype, int seed)
    {
        var generator = new torch.Generator((ulong)seed);
        Tensor BlockStructured() =>
            randn(new[] { batch, heads, length, headDim }, dtype, generator: generator)
            + 2.0 * randn(new[] { batch, heads, length / block, 1, headDim }, dtype, generator: generator)
                .expand(batch, heads, length / block, block, headDim).reshape(batch, heads, length, headDim);
        var query = BlockStructured();
        var key = BlockStructured();
        var value = randn(new[] { batch, heads, length, headDim }, dtype, generator: generator);
        var projection = eye(headDim, dtype: dtype) + 0.5 * randn(new[] { headDim, headDim }, dtype, generator: generator);
        return (query, key, value, projection);
    }

    private static Tensor Row(Tensor rows, long position) => rows.narrow(2, position, 1);

    [Fact]
    public void A_layer_steps_4096_tokens_within_1e_4_of_the_parallel_attention_in_float32()
    {
        using var scope = NewDisposeScope();
        const long length = 4096, heads = 2, headDim = 16;
        var settings = new SinkhornSettings(Block: 64, Iterations: 7, Temperature: 0.75, Causal: true);
        var (q, k, v, w) = Inputs(1, heads, length, headDim, settings.Block, float32, seed: 31);
        var parallel = SinkhornAttentionReference.Forward(q, k, v, w, settings, training: false, keyPaddingMask: null);

        using var state = new SinkhornStepState(1, (int)heads, (int)headDim, settings, (int)length, CPU, float32);
        float worst = 0;
        for (long position = 0; position < length; position++)
        {
            using var step = NewDisposeScope();
            var attended = state.Step(Row(q, position), Row(k, position), Row(v, position), w, tensor(new[] { position }), null);
            worst = Math.Max(worst, (attended - Row(parallel, position)).abs().max().item<float>());
        }
        Assert.True(worst <= 1e-4, $"max difference {worst}");
    }

    // Queries that record gradients take the composed attention (FullAttentionReference) instead of the in-place CPU step.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_batch_at_different_positions_steps_each_sequence_as_if_alone_and_follows_a_reorder(bool recordingGradients)
    {
        using var scope = NewDisposeScope();
        const long sequences = 3, length = 48, heads = 2, headDim = 4;
        var settings = new SinkhornSettings(Block: 4, Iterations: 5, Temperature: 0.75, Causal: true);
        var (q, k, v, w) = Inputs(sequences, heads, length, headDim, settings.Block, float64, seed: 32);
        if (recordingGradients)
            q.requires_grad_();
        using var gradients = enable_grad(recordingGradients);
        var alone = Enumerable.Range(0, (int)sequences).Select(i =>
            SinkhornAttentionReference.Forward(q.narrow(0, i, 1), k.narrow(0, i, 1), v.narrow(0, i, 1), w, settings, training: false, null)).ToArray();

        using var state = new SinkhornStepState(sequences, (int)heads, (int)headDim, settings, maxLength: 64, CPU, float64);
        // Slot b feeds sequence source[b] at position positions[b]; after the reorder two slots follow one sequence.
        var source = new long[] { 0, 1, 2 };
        var positions = new long[sequences];
        var reordered = false;
        for (int step = 0; positions.Min() < length; step++)
        {
            using var stepScope = NewDisposeScope();
            if (!reordered && step == 30)
            {
                // Beam search: slot 0 takes slot 1's history (mid-block, sorted block opened), slot 2 keeps its own.
                var indices = new long[] { 1, 1, 2 };
                state.Reorder(tensor(indices));
                source = indices.Select(b => source[b]).ToArray();
                positions = indices.Select(b => positions[b]).ToArray();
                reordered = true;
            }
            // Slot 1 takes a token every step, slot 0 every other step, slot 2 waits for the first 9 steps.
            var takes = Enumerable.Range(0, (int)sequences).Select(b => positions[b] < length && (b switch { 0 => step % 2 == 0, 2 => step >= 9, _ => true })).ToArray();
            Tensor At(Tensor rows) => cat(Enumerable.Range(0, (int)sequences)
                .Select(b => rows.narrow(0, source[b], 1).narrow(2, Math.Min(positions[b], length - 1), 1)).ToArray(), 0);
            var attended = state.Step(At(q), At(k), At(v), w, tensor(positions), tensor(takes));
            for (int b = 0; b < sequences; b++)
                if (takes[b])
                {
                    var expected = Row(alone[source[b]], positions[b]).detach();
                    Assert.Equal(recordingGradients, attended.requires_grad);
                    Assert.True(attended.narrow(0, b, 1).detach().allclose(expected, rtol: 1e-9, atol: 1e-10),
                        $"slot {b} (sequence {source[b]}), position {positions[b]}: max difference {(attended.narrow(0, b, 1) - expected).abs().max().item<double>()}");
                    positions[b]++;
                }
        }
        Assert.True(reordered);
    }

    [Fact]
    public void A_model_steps_waiting_sequences_and_a_reorder_as_its_forward()
    {
        using var model = Models.ModelTestKit.Create(() => new TinySinkhornLm());
        using var scope = NewDisposeScope();
        // Two tokens short of MaxLength (32): a finished sequence waits at its length, and the frame embeds its position too.
        const int length = 30;
        var tokens = Models.ModelTestKit.RandomTokens(2, length, 16, seed: 33);
        var parallel = model.forward(tokens);
        using var state = model.CreateState(2);
        var taken = new int[2];
        var source = new[] { 0, 1 };
        for (int step = 0; taken.Min() < length; step++)
        {
            using var stepScope = NewDisposeScope();
            if (step == 20)
            {
                // Both slots continue sequence 1 from where slot 1 is (slot 0, which waits every third step, is behind it).
                state.Reorder(tensor(new long[] { 1, 1 }));
                source = [source[1], source[1]];
                taken = [taken[1], taken[1]];
            }
            var takes = new[] { taken[0] < length && step % 3 != 0, taken[1] < length };
            var next = tensor(Enumerable.Range(0, 2).Select(b => tokens[source[b], Math.Min(taken[b], length - 1)].item<long>()).ToArray());
            var logits = model.Step(state, next, tensor(takes));
            for (int b = 0; b < 2; b++)
                if (takes[b])
                {
                    Assert.True(logits[b].allclose(parallel[source[b], taken[b]], rtol: 1e-9, atol: 1e-10), $"slot {b}, position {taken[b]}");
                    taken[b]++;
                }
        }
    }

    [Fact]
    public void The_state_grows_with_the_positions_generated_not_with_MaxLength()
    {
        // MaxLength 16,384 in blocks of 64: after 300 tokens the key-value store holds room for 512 positions; the rest is
        // the block-sized buffers, the pooled keys and the column sums, fixed from the first token.
        using var scope = NewDisposeScope();
        const long heads = 2, headDim = 8, maxLength = 16384;
        var settings = new SinkhornSettings(Block: 64, Iterations: 7, Temperature: 0.75, Causal: true);
        var (q, k, v, w) = Inputs(1, heads, 320, headDim, settings.Block, float32, seed: 34);
        using var state = new SinkhornStepState(1, (int)heads, (int)headDim, settings, (int)maxLength, CPU, float32);
        long blocks = maxLength / settings.Block;
        long fixedPart = heads * (5 * settings.Block * headDim + blocks * headDim + settings.Iterations * blocks);
        for (long position = 0; position < 300; position++)
        {
            using var step = NewDisposeScope();
            state.Step(Row(q, position), Row(k, position), Row(v, position), w, tensor(new[] { position }), null);
        }
        Assert.Equal(512, state.Capacity);
        Assert.Equal(2 * heads * 512 * headDim + fixedPart, state.Elements);
    }

    [Fact]
    public void A_bidirectional_layer_has_no_step_state()
    {
        var bidirectional = new SinkhornSettings(Block: 4, Iterations: 5, Temperature: 0.75, Causal: false);
        var error = Assert.Throws<ArgumentException>(() => new SinkhornStepState(1, 2, 4, bidirectional, 32, CPU, float32));
        Assert.Contains("causal", error.Message);
        Assert.False(typeof(IRecurrentLanguageModel).IsAssignableFrom(typeof(TinySinkhornClassifier)));
        Assert.True(typeof(IRecurrentLanguageModel).IsAssignableFrom(typeof(TinySinkhornLm)));
    }
}
