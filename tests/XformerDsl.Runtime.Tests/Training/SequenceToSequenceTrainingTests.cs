using TorchSharp;
using XformerDsl.Generation;
using XformerDsl.Tests.Generation;
using XformerDsl.Training;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Training;

/// <summary>Teacher-forced training of an encoder–decoder on sequence pairs.</summary>
public class SequenceToSequenceTrainingTests
{
    private const int Pad = 0, Bos = 1, Eos = 2;
    private static readonly SpecialTokens Special = new(Bos, Eos, Pad);

    [Fact]
    public void A_batch_feeds_BOS_and_the_target_and_labels_the_target_and_EOS_ignoring_padding()
    {
        using var scope = NewDisposeScope();
        SequencePair[] pairs = [new([5, 6, 7], [8, 9]), new([4], [])];

        var batch = new SequenceToSequenceObjective(Special).Batch(pairs, [0, 1], sourceMaxLength: 8, targetMaxLength: 8);

        Assert.Equal(new long[] { 5, 6, 7, 4, Pad, Pad }, batch.Source.data<long>().ToArray());
        Assert.Equal(new[] { true, true, true, true, false, false }, batch.SourceMask.data<bool>().ToArray());
        Assert.Equal(new long[] { Bos, 8, 9, Bos, Pad, Pad }, batch.DecoderInput.data<long>().ToArray());
        Assert.Equal(new[] { true, true, true, true, false, false }, batch.TargetMask.data<bool>().ToArray());
        Assert.Equal(new long[] { 8, 9, Eos, Eos, -100, -100 }, batch.Labels.data<long>().ToArray());
        Assert.Equal(4 + 4, batch.RealTokens);
    }

    [Fact]
    public void A_target_too_long_for_the_decoder_is_refused_naming_the_pair_and_the_limit()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new SequenceToSequenceObjective(Special).Batch([new([3], [3, 4, 5, 6])], [0], sourceMaxLength: 8, targetMaxLength: 4));
        Assert.Contains("Sequence pair 0 has a target of 4 tokens", error.Message);
        Assert.Contains("BOS + target, at most MaxLength = 4", error.Message);
    }

    /// <summary>Sources of 2 to 5 ids in [3, 10) and their reversals.</summary>
    private static SequencePair[] Reversals(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var source = Enumerable.Range(0, random.Next(2, 6)).Select(_ => (long)random.Next(3, 10)).ToArray();
            return new SequencePair(source, source.Reverse().ToArray());
        }).ToArray();
    }

    [Fact]
    public void An_encoder_decoder_learns_to_reverse_sequences_and_then_decodes_them()
    {
        var train = Reversals(800, seed: 1);
        var validation = Reversals(64, seed: 2);
        torch.manual_seed(5);
        using var model = new TinyEncoderDecoder(sourceVocab: 10, targetVocab: 10, dim: 32, sourceMaxLength: 8, targetMaxLength: 8);
        var options = new TrainingOptions
        {
            MaxSteps = 150, BatchSize = 16, LearningRate = 1e-2, WarmupSteps = 10, WeightDecay = 0.01, EvaluationInterval = 50, EvaluationBatches = 2, Seed = 6, Threads = 2,
        };

        var report = Trainer.Train(model, train, validation, Special, options, SilentTrainingObserver.Instance);

        Assert.True(report.FinalValidationLoss < report.InitialValidationLoss / 4, $"validation loss {report.InitialValidationLoss} -> {report.FinalValidationLoss}");
        var decoded = Seq2SeqGenerator.BeamSearch(model, validation.Select(p => p.Source).ToArray(), new GenerationOptions { Tokens = Special, MaxLength = 8, Beams = 2 });
        int exact = validation.Where((p, i) => decoded[i].Tokens.SequenceEqual(p.Target)).Count();
        Assert.True(exact >= validation.Length * 3 / 4, $"{exact} of {validation.Length} reversed exactly");
    }
}
