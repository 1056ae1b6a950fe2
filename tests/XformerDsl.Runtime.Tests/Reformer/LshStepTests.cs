using TorchSharp;
using XformerDsl.Attention.Lsh;
using XformerDsl.Modules;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Reformer;

/// <summary>
/// Causal LSH models step token by token from per-bucket caches, equal to the parallel forward in evaluation mode; a
/// model declared with the paper's chunking has no stepping API.
/// </summary>
public class LshStepTests
{
    [Fact]
    public void Stepping_equals_the_parallel_forward_at_every_position()
    {
        torch.manual_seed(6);
        using var model = new TinyLsh();
        model.eval();
        using var scope = NewDisposeScope();
        var tokens = randint(16, new[] { 2L, 32 }, dtype: int64, generator: new torch.Generator(13));
        var parallel = model.forward(tokens);
        using var state = model.CreateState(2);
        for (int position = 0; position < 32; position++)
        {
            var logits = model.Step(state, tokens[.., position]);
            Assert.True(logits.allclose(parallel[.., position], rtol: 0, atol: 1e-5), $"position {position}: max difference {(logits - parallel[.., position]).abs().max().item<float>()}");
        }
    }

    [Fact]
    public void A_layer_steps_4096_tokens_within_1e_4_of_the_parallel_attention_in_float32()
    {
        // The layer alone (the model's frame around it is the test above): hashing into MaxLength / BucketSize buckets.
        using var scope = NewDisposeScope();
        const long length = 4096, heads = 2, headDim = 16;
        const int bucketSize = 16;
        var generator = new torch.Generator(15);
        var qk = randn(new[] { 1L, heads, length, headDim }, generator: generator);
        var v = randn(new[] { 1L, heads, length, headDim }, generator: generator);
        var rotations = LshHashing.RandomRotations(length, (int)heads, (int)headDim, rounds: 2, bucketSize, seed: 4, CPU, float32);
        var parallel = LshCausalAttention.Attend(qk, v, rotations, bucketSize, null);

        using var state = new LshStepState(1, bucketSize, rotations);
        float worst = 0;
        for (long position = 0; position < length; position++)
        {
            using var step = NewDisposeScope();
            var attended = state.Step(qk.narrow(2, position, 1), v.narrow(2, position, 1), tensor(new[] { position }), null);
            worst = Math.Max(worst, (attended - parallel.narrow(2, position, 1)).abs().max().item<float>());
        }
        Assert.True(worst <= 1e-4, $"max difference {worst}");
    }

    [Fact]
    public void The_state_grows_with_the_positions_generated_not_with_MaxLength()
    {
        // MaxLength 16,384 in 256 buckets of 64, two rounds: holding every bucket's ring of keys and values up front would
        // be 2 · 16,384 keys and values per head; after 300 tokens the store holds room for 512 positions.
        using var scope = NewDisposeScope();
        const long heads = 2, headDim = 8;
        var rotations = LshHashing.RandomRotations(16384, (int)heads, (int)headDim, rounds: 2, bucketSize: 64, seed: 1, CPU, float32);
        using var state = new LshStepState(1, 64, rotations);
        long before = state.Elements;
        var generator = new torch.Generator(3);
        for (long position = 0; position < 300; position++)
        {
            using var step = NewDisposeScope();
            state.Step(randn(new[] { 1L, heads, 1, headDim }, generator: generator), randn(new[] { 1L, heads, 1, headDim }, generator: generator), tensor(new[] { position }), null);
        }
        Assert.Equal(512, state.Capacity);
        Assert.Equal(2 * heads * (512 - 256) * headDim, state.Elements - before);
        Assert.True(state.Elements < 2 * heads * 2 * 16384 * headDim / 4, $"{state.Elements} elements");
    }

    [Fact]
    public void A_batch_of_sequences_of_different_lengths_steps_each_as_if_alone()
    {
        torch.manual_seed(8);
        using var model = new TinyLsh();
        model.eval();
        using var scope = NewDisposeScope();
        int[] lengths = { 5, 32, 19 };
        var sequences = lengths.Select((length, i) => randint(16, new[] { 1L, length }, dtype: int64, generator: new torch.Generator((ulong)(50 + i)))).ToArray();
        var alone = sequences.Select(s => model.forward(s)[0]).ToArray();
        using var state = model.CreateState(lengths.Length);
        for (int step = 0; step < lengths.Max(); step++)
        {
            var active = tensor(lengths.Select(length => step < length).ToArray());
            var tokens = tensor(lengths.Select((length, i) => step < length ? sequences[i][0, step].item<long>() : 0L).ToArray());
            var logits = model.Step(state, tokens, active);
            for (int i = 0; i < lengths.Length; i++)
                if (step < lengths[i])
                    Assert.True(logits[i].allclose(alone[i][step], rtol: 0, atol: 1e-5), $"sequence {i}, position {step}");
        }
    }

    [Fact]
    public void The_papers_chunking_does_not_step()
    {
        Assert.False(typeof(IRecurrentLanguageModel).IsAssignableFrom(typeof(ChunkedLsh)));
        Assert.True(typeof(IRecurrentLanguageModel).IsAssignableFrom(typeof(TinyLsh)));
    }
}
