using TorchSharp;
using XformerDsl.Generation;
using XformerDsl.Modules;
using XformerDsl.Training;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Generation;

/// <summary>Greedy decoding and beam search over an encoder–decoder: the test double's stepping, crafted beam cases, batching.</summary>
public class Seq2SeqGeneratorTests
{
    private const int Pad = 0, Bos = 1, Eos = 2, A = 3, B = 4, C = 5;
    private static readonly SpecialTokens Special = new(Bos, Eos, Pad);

    private static TinyEncoderDecoder RandomModel(int seed)
    {
        manual_seed(seed);
        var model = new TinyEncoderDecoder(sourceVocab: 10, targetVocab: 10, dim: 16, sourceMaxLength: 8, targetMaxLength: 12);
        model.to(float64);
        model.eval();
        return model;
    }

    private static readonly long[][] Sources = [[3, 4, 5], [6, 7, 8, 9, 3, 4], [5, 5], [9, 8, 7, 6]];

    [Fact]
    public void The_test_doubles_step_equals_its_teacher_forced_forward_with_padded_sources()
    {
        using var model = RandomModel(1);
        using var scope = NewDisposeScope();
        var source = tensor(new long[] { 3, 4, 5, 0, 0, 6, 7, 8, 9, 3 }, new long[] { 2, 5 });
        var sourceMask = source != 0;
        var target = tensor(new long[] { 1, 3, 4, 5, 6, 1, 9, 8, 7, 6 }, new long[] { 2, 5 });
        var parallel = model.forward(source, target, sourceMask, null);

        using var encoded = model.Encode(source, sourceMask);
        using var state = model.CreateDecoderState(encoded);
        for (int t = 0; t < 5; t++)
        {
            var logits = model.Step(state, target[.., t]);
            Assert.True(logits.allclose(parallel[.., t], rtol: 1e-9, atol: 1e-10), $"position {t}");
        }
    }

    [Fact]
    public void Beam_search_with_one_beam_equals_greedy_decoding()
    {
        using var model = RandomModel(2);
        var options = new GenerationOptions { Tokens = Special, MaxLength = 10, Beams = 1 };

        var greedy = Seq2SeqGenerator.Greedy(model, Sources, options);
        var beam = Seq2SeqGenerator.BeamSearch(model, Sources, options);

        for (int i = 0; i < Sources.Length; i++)
        {
            Assert.Equal(greedy[i].Tokens, beam[i].Tokens);
            Assert.Equal(greedy[i].Finished, beam[i].Finished);
            Assert.Equal(greedy[i].LogProbability, beam[i].LogProbability, 12);
        }
        Assert.Contains(greedy, g => g.Tokens.Length > 0);
    }

    /// <summary>Greedy takes A (0.54) then C; B (0.44) then EOS (0.95) is the likelier whole sequence.</summary>
    private static BigramScript GreedyTrap() => new(vocab: 6, maxLength: 8, new Dictionary<int, (int, double)[]>
    {
        [Bos] = [(A, 0.54), (B, 0.44)],
        [A] = [(C, 0.4), (Eos, 0.35), (B, 0.2)],
        [B] = [(Eos, 0.95)],
        [C] = [(Eos, 0.9)],
    });

    [Fact]
    public void Beam_search_finds_a_likelier_sequence_than_greedy_decoding()
    {
        var model = GreedyTrap();
        var options = new GenerationOptions { Tokens = Special, MaxLength = 6, Beams = 2 };

        var greedy = Seq2SeqGenerator.Greedy(model, [[3]], options)[0];
        var beam = Seq2SeqGenerator.BeamSearch(model, [[3]], options)[0];

        Assert.Equal([A, C], greedy.Tokens);
        Assert.Equal([B], beam.Tokens);
        Assert.True(beam.Finished && greedy.Finished);
        Assert.Equal(Math.Log(0.44 * 0.95), beam.LogProbability, 9);
        Assert.Equal(Math.Log(0.54 * 0.4 * 0.9), greedy.LogProbability, 9);
        Assert.Equal(beam.LogProbability / 2, beam.Score, 12);   // α = 1, two tokens with EOS
        Assert.True(beam.Score > greedy.Score);
        Assert.Equal(greedy.Tokens, Seq2SeqGenerator.BeamSearch(model, [[3]], options with { Beams = 1 })[0].Tokens);
    }

    /// <summary>EOS at once (0.5) against A B EOS (0.45 · 0.9 · 0.95 ≈ 0.385): shorter is likelier, longer is likelier per token.</summary>
    private static BigramScript ShortOrLong() => new(vocab: 6, maxLength: 8, new Dictionary<int, (int, double)[]>
    {
        [Bos] = [(Eos, 0.5), (A, 0.45)],
        [A] = [(B, 0.9)],
        [B] = [(Eos, 0.95)],
    });

    [Theory]
    [InlineData(0.0, new long[0])]
    [InlineData(1.0, new long[] { A, B })]
    public void The_length_penalty_decides_between_a_short_likely_and_a_long_fluent_sequence(double alpha, long[] expected)
    {
        var options = new GenerationOptions { Tokens = Special, MaxLength = 6, Beams = 2, LengthPenalty = alpha };

        var best = Seq2SeqGenerator.BeamSearch(ShortOrLong(), [[3]], options)[0];

        Assert.Equal(expected, best.Tokens);
        Assert.Equal(best.LogProbability / Math.Pow(best.Tokens.Length + 1, alpha), best.Score, 12);
    }

    [Fact]
    public void Without_early_stopping_the_search_goes_on_while_a_running_beam_could_still_win()
    {
        // With α = 1 and early stopping, the two finished hypotheses EOS and A B EOS end the search; without it, beams keep
        // running, and the best found can only be as good or better.
        var options = new GenerationOptions { Tokens = Special, MaxLength = 6, Beams = 2, LengthPenalty = 1 };
        var early = Seq2SeqGenerator.BeamSearch(ShortOrLong(), [[3]], options)[0];
        var late = Seq2SeqGenerator.BeamSearch(ShortOrLong(), [[3]], options with { EarlyStopping = false })[0];

        Assert.True(late.Score >= early.Score);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void A_batch_of_sources_of_different_lengths_decodes_as_each_source_alone(int beams)
    {
        using var model = RandomModel(3);
        var options = new GenerationOptions { Tokens = Special, MaxLength = 10, Beams = beams };
        Func<IEncoderDecoderModel, IReadOnlyList<long[]>, GenerationOptions, IReadOnlyList<GeneratedSequence>> decode =
            beams == 1 ? Seq2SeqGenerator.Greedy : Seq2SeqGenerator.BeamSearch;

        var batched = decode(model, Sources, options);

        for (int i = 0; i < Sources.Length; i++)
        {
            var alone = decode(model, [Sources[i]], options)[0];
            Assert.Equal(alone.Tokens, batched[i].Tokens);
            Assert.Equal(alone.Finished, batched[i].Finished);
            Assert.Equal(alone.Score, batched[i].Score, 9);
        }
    }

    [Fact]
    public void Each_beam_search_result_has_the_log_probability_the_teacher_forced_forward_gives_it()
    {
        // Catches states that are not reordered with their beams: the steps would then continue another beam's history.
        using var model = RandomModel(6);
        var results = Seq2SeqGenerator.BeamSearch(model, Sources, new GenerationOptions { Tokens = Special, MaxLength = 10, Beams = 4 });

        using var scope = NewDisposeScope();
        for (int i = 0; i < Sources.Length; i++)
        {
            var r = results[i];
            long[] input = [Bos, .. r.Tokens];
            long[] labels = r.Finished ? [.. r.Tokens, Eos] : r.Tokens;
            var logp = nn.functional.log_softmax(model.forward(tensor(Sources[i]).unsqueeze(0), tensor(input[..labels.Length]).unsqueeze(0), null, null)[0], 1);
            double expected = Enumerable.Range(0, labels.Length).Sum(t => logp[t, labels[t]].item<double>());
            Assert.Equal(expected, r.LogProbability, 9);
        }
    }

    [Fact]
    public void Generation_leaves_the_models_mode_and_records_no_gradients()
    {
        using var model = RandomModel(4);
        model.train();
        Seq2SeqGenerator.BeamSearch(model, Sources, new GenerationOptions { Tokens = Special, MaxLength = 4, Beams = 2 });
        Assert.True(model.training);
        Assert.All(model.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void Asking_for_more_tokens_than_the_decoder_holds_or_an_empty_source_is_refused_naming_the_limit()
    {
        using var model = RandomModel(5);
        var tooLong = Assert.Throws<ArgumentException>(() => Seq2SeqGenerator.Greedy(model, Sources, new GenerationOptions { Tokens = Special, MaxLength = 13 }));
        Assert.Contains("MaxLength = 13", tooLong.Message);
        Assert.Contains("MaxLength = 12", tooLong.Message);

        var empty = Assert.Throws<ArgumentException>(() => Seq2SeqGenerator.BeamSearch(model, [[3], []], new GenerationOptions { Tokens = Special, MaxLength = 5 }));
        Assert.Contains("Source 1 has 0 tokens", empty.Message);
        Assert.Contains("MaxLength = 8", empty.Message);
    }
}
