using TorchSharp;
using XformerDsl.Generation;
using XformerDsl.Modules;
using XformerDsl.Tests.Models;
using XformerDsl.Training;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Generation;

/// <summary>
/// Greedy decoding and beam search over the generated encoder–decoders: a full-attention decoder (key-value caches) and a
/// linear-attention decoder (fixed-size states), both reordered by beam search through <see cref="DecoderState.Reorder"/>.
/// </summary>
public class GeneratedEncoderDecoderTests
{
    private static readonly SpecialTokens Special = new(Bos: 1, Eos: 2, Pad: 0);

    private static IEncoderDecoderModel Create(string name)
    {
        manual_seed(21);
        nn.Module model = name switch
        {
            nameof(TinyTranslator) => new TinyTranslator(),
            nameof(TinySharedTranslator) => new TinySharedTranslator(),
            _ => throw new ArgumentException(name),
        };
        model.to(float64);
        model.eval();
        return Assert.IsAssignableFrom<IEncoderDecoderModel>(model);
    }

    private static long[][] Sources(IEncoderDecoderModel model)
    {
        var random = new Random(5);
        int vocab = model.Declaration.Encoder!.Vocab;
        return Enumerable.Range(0, 4).Select(i => Enumerable.Range(0, 2 + 2 * i).Select(_ => (long)random.Next(3, vocab)).ToArray()).ToArray();
    }

    [Theory]
    [InlineData(nameof(TinyTranslator))]
    [InlineData(nameof(TinySharedTranslator))]
    public void Beam_search_with_one_beam_equals_greedy_and_a_batch_decodes_as_each_source_alone(string name)
    {
        var model = Create(name);
        var sources = Sources(model);
        var options = new GenerationOptions { Tokens = Special, MaxLength = model.Declaration.MaxLength, Beams = 1 };

        var greedy = Seq2SeqGenerator.Greedy(model, sources, options);
        var beam = Seq2SeqGenerator.BeamSearch(model, sources, options);
        var beams = Seq2SeqGenerator.BeamSearch(model, sources, options with { Beams = 3 });

        for (int i = 0; i < sources.Length; i++)
        {
            Assert.Equal(greedy[i].Tokens, beam[i].Tokens);
            Assert.Equal(greedy[i].LogProbability, beam[i].LogProbability, 9);
            var alone = Seq2SeqGenerator.BeamSearch(model, [sources[i]], options with { Beams = 3 })[0];
            Assert.Equal(alone.Tokens, beams[i].Tokens);
            Assert.Equal(alone.Score, beams[i].Score, 9);
            Assert.True(beams[i].Score >= greedy[i].Score - 1e-9, $"source {i}: beam search {beams[i].Score} below greedy {greedy[i].Score}");
        }
        ((nn.Module)model).Dispose();
    }

    [Theory]
    [InlineData(nameof(TinyTranslator))]
    [InlineData(nameof(TinySharedTranslator))]
    public void Each_beam_search_result_has_the_log_probability_the_teacher_forced_forward_gives_it(string name)
    {
        var model = Create(name);
        var sources = Sources(model);
        var results = Seq2SeqGenerator.BeamSearch(model, sources, new GenerationOptions { Tokens = Special, MaxLength = model.Declaration.MaxLength, Beams = 4 });

        using var scope = NewDisposeScope();
        for (int i = 0; i < sources.Length; i++)
        {
            var r = results[i];
            long[] labels = r.Finished ? [.. r.Tokens, Special.Eos] : r.Tokens;
            long[] input = [Special.Bos, .. r.Tokens];
            var logits = model.forward(tensor(sources[i]).unsqueeze(0), tensor(input[..labels.Length]).unsqueeze(0), null, null)[0];
            var logp = nn.functional.log_softmax(logits, 1);
            double expected = Enumerable.Range(0, labels.Length).Sum(t => logp[t, labels[t]].item<double>());
            Assert.Equal(expected, r.LogProbability, 9);
        }
        ((nn.Module)model).Dispose();
    }
}
