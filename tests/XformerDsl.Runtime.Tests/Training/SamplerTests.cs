using TorchSharp;
using XformerDsl.Training;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Training;

public class SamplerTests
{
    private static TinyLanguageModel RandomModel(int seed)
    {
        torch.manual_seed(seed);
        return new TinyLanguageModel(vocabulary: 64, dim: 16);
    }

    [Fact]
    public void Greedy_sampling_is_the_argmax_continuation()
    {
        using var model = RandomModel(3);
        long[] prompt = [1, 2, 3];
        var generated = Sampler.Generate(model, prompt, new SamplingOptions { ContextLength = 100, MaxNewTokens = 12, Temperature = 0 });

        // The same continuation, built step by step with torch's own argmax.
        var expected = new List<long>(prompt);
        model.eval();
        using (torch.no_grad())
        {
            for (int i = 0; i < 12; i++)
            {
                using var scope = NewDisposeScope();
                var logits = model.forward(torch.tensor(expected.ToArray(), [1, expected.Count]));
                expected.Add(logits[0, -1].argmax().item<long>());
            }
        }
        Assert.Equal(expected.Skip(prompt.Length), generated);
    }

    [Fact]
    public void The_same_seed_gives_the_same_sample_and_the_mode_is_restored()
    {
        using var model = RandomModel(4);
        model.train();
        var options = new SamplingOptions { ContextLength = 100, MaxNewTokens = 40, Temperature = 1.0, TopK = null, Seed = 123 };

        var first = Sampler.Generate(model, [5], options);
        var second = Sampler.Generate(model, [5], options);
        var otherSeed = Sampler.Generate(model, [5], options with { Seed = 124 });

        Assert.Equal(first, second);
        Assert.NotEqual(first, otherSeed);
        Assert.True(model.training);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(17)]
    public void The_continuation_has_exactly_the_requested_length(int length)
    {
        using var model = RandomModel(5);
        var generated = Sampler.Generate(model, [1, 2], new SamplingOptions { ContextLength = 8, MaxNewTokens = length, Seed = 1 });
        Assert.Equal(length, generated.Length);
        Assert.All(generated, t => Assert.InRange(t, 0, 63));
    }

    [Fact]
    public void The_context_is_cropped_to_the_model_length()
    {
        using var model = new SuccessorSpyModel(vocabulary: 50);
        long[] prompt = [.. Enumerable.Range(0, 10).Select(i => (long)i)];

        var generated = Sampler.Generate(model, prompt, new SamplingOptions { ContextLength = 4, MaxNewTokens = 6, Temperature = 0 });

        Assert.Equal([10L, 11, 12, 13, 14, 15], generated);
        Assert.All(model.InputLengths, length => Assert.Equal(4, length));

        model.InputLengths.Clear();
        Sampler.Generate(model, [7], new SamplingOptions { ContextLength = 4, MaxNewTokens = 6, Temperature = 0 });
        Assert.Equal([1L, 2, 3, 4, 4, 4], model.InputLengths);
    }

    [Fact]
    public void Choosing_is_argmax_at_zero_temperature_and_stays_in_the_top_k()
    {
        float[] logits = [0.1f, 3f, 2.5f, -1f, 2.9f, 0f];
        var random = new Random(0);

        Assert.Equal(1, Sampler.ChooseToken(logits, temperature: 0, topK: null, random));
        Assert.Equal(1, Sampler.ChooseToken(logits, temperature: 1, topK: 1, random));
        var drawn = Enumerable.Range(0, 2000).Select(_ => Sampler.ChooseToken(logits, temperature: 1, topK: 3, random)).ToHashSet();
        Assert.Equal([1, 2, 4], drawn.Order());
        // A very high temperature makes every token reachable.
        var hot = Enumerable.Range(0, 2000).Select(_ => Sampler.ChooseToken(logits, temperature: 100, topK: null, random)).ToHashSet();
        Assert.Equal(logits.Length, hot.Count);
    }

    [Fact]
    public void An_empty_prompt_is_rejected()
    {
        using var model = RandomModel(6);
        Assert.Throws<ArgumentException>(() => Sampler.Generate(model, [], new SamplingOptions { ContextLength = 4 }));
    }
}

/// <summary>Samples in a series each get their own seed, derived from one base seed.</summary>
public class SampleSeedTests
{
    [Fact]
    public void Prompts_sampled_with_one_seed_take_the_same_draws_and_ForSample_gives_each_its_own()
    {
        // A model that ignores its context: only the draws decide what it writes, as in a barely trained model.
        torch.manual_seed(4);
        using var model = new BigramLanguageModel(16);
        using (torch.no_grad())
        {
            foreach (var p in model.parameters()) p.copy_(p[0].expand_as(p));
        }
        var options = new SamplingOptions { ContextLength = 8, MaxNewTokens = 24, Temperature = 1.0, TopK = null, Seed = 1337 };

        // The symptom: one seed for every prompt, so every continuation is the same.
        Assert.Equal(Sampler.Generate(model, [1], options), Sampler.Generate(model, [2, 3], options));

        var first = Sampler.Generate(model, [1], options.ForSample(0));
        var second = Sampler.Generate(model, [2, 3], options.ForSample(1));
        Assert.NotEqual(first, second);
        Assert.Equal(first, Sampler.Generate(model, [1], options.ForSample(0)));
        Assert.Equal(Enumerable.Range(0, 1000).Count(), Enumerable.Range(0, 1000).Select(i => Sampler.SampleSeed(1337, i)).Distinct().Count());
        Assert.NotEqual(Sampler.SampleSeed(1337, 0), Sampler.SampleSeed(1338, 0));
    }

    // The generate suite alternates models in turns: generating in pieces must continue the same greedy sequence.
    [Fact]
    public void Greedy_steps_in_pieces_continue_one_greedy_generation()
    {
        torch.manual_seed(8);
        using var model = new XformerDsl.Tests.Attention.Linear.TinyLinearElu();
        model.eval();
        using var whole = new GreedySteps(model, batch: 2);
        using var pieces = new GreedySteps(model, batch: 2);
        Assert.Equal([0L, 0L], whole.LatestTokens);
        whole.Advance(9);
        pieces.Advance(4);
        pieces.Advance(0);
        pieces.Advance(5);
        Assert.Equal(9, pieces.Generated);
        Assert.Equal(whole.LatestTokens, pieces.LatestTokens);

        // The same tokens as the model's own greedy loop.
        using var state = model.CreateState(2);
        var next = zeros(new long[] { 2 }, ScalarType.Int64);
        var sequence = new List<long>();
        using (no_grad())
            for (int i = 0; i < 9; i++)
            {
                next = model.Step(state, next).argmax(-1);
                sequence.Add(next[0].item<long>());
            }
        Assert.Equal(next.data<long>().ToArray(), whole.LatestTokens);
        // A sequence that moves, so a piece that restarted from token 0 would end elsewhere.
        Assert.True(sequence.Skip(4).Distinct().Count() > 1, $"greedy tokens {string.Join(",", sequence)}");
        Assert.Throws<ArgumentOutOfRangeException>(() => whole.Advance(-1));
    }
}
