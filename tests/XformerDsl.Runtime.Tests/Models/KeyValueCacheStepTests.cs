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

    [Fact]
    public void A_bidirectional_encoder_has_no_stepping_api()
    {
        using var model = ModelTestKit.Create(nameof(TinyEncoder));
        Assert.False(model is IRecurrentLanguageModel);
    }
}
