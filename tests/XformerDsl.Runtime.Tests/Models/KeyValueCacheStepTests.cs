using TorchSharp;
using XformerDsl.Modules;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Models;

/// <summary>
/// Causal full attention models step one token at a time from a key-value cache: equal to the parallel forward pass at
/// every position, for every frame option, and in a batch of sequences of different lengths.
/// </summary>
public class KeyValueCacheStepTests
{
    [Theory]
    [InlineData(nameof(TinyGpt2))]
    [InlineData(nameof(TinyLlama))]
    [InlineData(nameof(TinyNoBias))]
    [InlineData(nameof(TinyTiedWithDropout))]
    [InlineData(nameof(TinyHybrid))]
    public void Stepping_with_a_key_value_cache_equals_the_parallel_forward(string name)
    {
        using var model = ModelTestKit.Create(name);
        var spec = ModelTestKit.Spec(name);
        var recurrent = Assert.IsAssignableFrom<IRecurrentLanguageModel>(model);
        using var scope = NewDisposeScope();
        var tokens = ModelTestKit.RandomTokens(2, spec.MaxLength, spec.Vocab, seed: 21);
        var parallel = model.call(tokens);

        using var state = recurrent.CreateState(2);
        for (int position = 0; position < spec.MaxLength; position++)
        {
            var logits = recurrent.Step(state, tokens[.., position]);
            Assert.True(logits.allclose(parallel[.., position], rtol: 1e-9, atol: 1e-10), $"position {position}");
        }
    }

    [Fact]
    public void A_batch_of_sequences_of_different_lengths_steps_each_as_if_alone()
    {
        using var model = ModelTestKit.Create(nameof(TinyLlama));
        var recurrent = (IRecurrentLanguageModel)model;
        using var scope = NewDisposeScope();
        int[] lengths = { 3, 12, 7 };
        var sequences = lengths.Select((length, i) => ModelTestKit.RandomTokens(1, length, 16, seed: 40 + i)).ToArray();
        var alone = sequences.Select(s => model.call(s)[0]).ToArray();

        using var state = recurrent.CreateState(lengths.Length);
        for (int step = 0; step < lengths.Max(); step++)
        {
            var active = tensor(lengths.Select(length => step < length).ToArray());
            var tokens = tensor(lengths.Select((length, i) => step < length ? sequences[i][0, step].item<long>() : 0L).ToArray());
            var logits = recurrent.Step(state, tokens, active);
            for (int i = 0; i < lengths.Length; i++)
                if (step < lengths[i])
                    Assert.True(logits[i].allclose(alone[i][step], rtol: 1e-9, atol: 1e-10), $"sequence {i}, position {step}");
        }
    }

    [Theory]
    [InlineData(nameof(TinyGpt2))]
    [InlineData(nameof(TinyLlama))]
    public void A_sequence_at_MaxLength_sits_out_while_a_later_one_finishes(string name)
    {
        // Sequence 1 starts three steps after sequence 0, so for three steps sequence 0 is at MaxLength (inactive): its
        // learned position or rotation and its cache slot must stay in range, and sequence 1 must step as if alone.
        using var model = ModelTestKit.Create(name);
        var spec = ModelTestKit.Spec(name);
        var recurrent = (IRecurrentLanguageModel)model;
        using var scope = NewDisposeScope();
        const int delay = 3;
        var sequences = new[] { ModelTestKit.RandomTokens(1, spec.MaxLength, spec.Vocab, seed: 50), ModelTestKit.RandomTokens(1, spec.MaxLength, spec.Vocab, seed: 51) };
        var alone = sequences.Select(s => model.call(s)[0]).ToArray();
        int[] starts = { 0, delay };

        using var state = recurrent.CreateState(2);
        for (int step = 0; step < spec.MaxLength + delay; step++)
        {
            var position = starts.Select(start => step - start).ToArray();
            var active = tensor(position.Select(p => p >= 0 && p < spec.MaxLength).ToArray());
            var tokens = tensor(position.Select((p, i) => p >= 0 && p < spec.MaxLength ? sequences[i][0, p].item<long>() : 0L).ToArray());
            var logits = recurrent.Step(state, tokens, active);
            for (int i = 0; i < 2; i++)
                if (position[i] >= 0 && position[i] < spec.MaxLength)
                    Assert.True(logits[i].allclose(alone[i][position[i]], rtol: 1e-9, atol: 1e-10), $"sequence {i}, position {position[i]}");
        }
        Assert.Equal(new long[] { spec.MaxLength, spec.MaxLength }, state.Positions.data<long>().ToArray());
    }

    [Fact]
    public void A_bidirectional_encoder_has_no_stepping_api()
    {
        using var model = ModelTestKit.Create(nameof(TinyEncoder));
        Assert.False(model is IRecurrentLanguageModel);
    }
}
