using TorchSharp;
using XformerDsl.Training;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Training;

/// <summary>BERT's masking recipe, its determinism, and masked-token training and resume through the trainer.</summary>
public sealed class MaskedTokenTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("xf-mlm-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private const int Mask = 3;
    private static readonly MaskedTokenObjective Objective = new(Mask);

    /// <summary>64 sequences of 40 to 128 real tokens in [10, 1000) (never the mask token), padded to 128.</summary>
    private static (Tensor Tokens, Tensor Real) PaddedBatch(int seed)
    {
        var random = new Random(seed);
        var tokens = new long[64 * 128];
        var real = new bool[tokens.Length];
        for (int b = 0; b < 64; b++)
        {
            int length = random.Next(40, 129);
            for (int t = 0; t < 128; t++)
            {
                tokens[b * 128 + t] = t < length ? random.Next(10, 1000) : 0;
                real[b * 128 + t] = t < length;
            }
        }
        return (tensor(tokens, new long[] { 64, 128 }), tensor(real, new long[] { 64, 128 }));
    }

    [Fact]
    public void About_15_percent_of_real_tokens_are_selected_and_of_those_80_10_10_masked_random_unchanged_and_padding_never()
    {
        using var scope = NewDisposeScope();
        long real = 0, selected = 0, masked = 0, randomised = 0, unchanged = 0;
        for (int step = 0; step < 10; step++)
        {
            var (tokens, isReal) = PaddedBatch(step);
            var batch = Objective.Corrupt(tokens, isReal, vocab: 1000, seed: 7, step);
            var original = tokens.data<long>().ToArray();
            var inputs = batch.Inputs.data<long>().ToArray();
            var labels = batch.Labels.data<long>().ToArray();
            var realFlags = isReal.data<bool>().ToArray();
            for (int i = 0; i < original.Length; i++)
            {
                if (!realFlags[i])
                {
                    Assert.Equal(TrainingObjective.IgnoredLabel, labels[i]);
                    Assert.Equal(original[i], inputs[i]);
                    continue;
                }
                real++;
                if (labels[i] == TrainingObjective.IgnoredLabel)
                {
                    Assert.Equal(original[i], inputs[i]);
                    continue;
                }
                Assert.Equal(original[i], labels[i]);
                selected++;
                if (inputs[i] == Mask) masked++;
                else if (inputs[i] == original[i]) unchanged++;
                else randomised++;
            }
        }
        Assert.InRange((double)selected / real, 0.145, 0.155);
        Assert.InRange((double)masked / selected, 0.78, 0.82);
        Assert.InRange((double)randomised / selected, 0.085, 0.115);
        Assert.InRange((double)unchanged / selected, 0.085, 0.115);
    }

    [Fact]
    public void The_masking_is_a_pure_function_of_seed_and_step()
    {
        using var scope = NewDisposeScope();
        var (tokens, real) = PaddedBatch(1);
        long[] Inputs(long seed, long step) => Objective.Corrupt(tokens, real, 1000, seed, step).Inputs.data<long>().ToArray();

        Assert.Equal(Inputs(7, 5), Inputs(7, 5));
        Assert.NotEqual(Inputs(7, 5), Inputs(7, 6));
        Assert.NotEqual(Inputs(7, 5), Inputs(8, 5));
    }

    [Fact]
    public void Every_sequence_with_a_real_token_gets_at_least_one_selected()
    {
        using var scope = NewDisposeScope();
        var tokens = tensor(new long[] { 5, 6, 0, 0, 7, 0, 0, 0 }, new long[] { 2, 4 });
        var batch = Objective.Corrupt(tokens, tokens != 0, vocab: 10, seed: 1, step: 0);
        var labels = batch.Labels.data<long>().ToArray();

        Assert.Equal(1, labels[..4].Count(l => l != TrainingObjective.IgnoredLabel));
        Assert.Equal(7, labels[4]);
    }

    [Fact]
    public void A_mask_token_outside_the_vocabulary_is_refused()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => new MaskedTokenObjective(12).Corrupt(zeros(1, 4, dtype: int64), null, vocab: 12, seed: 0, step: 0));
        Assert.Contains("MaskToken = 12", error.Message);
        Assert.Contains("[0, 12)", error.Message);
    }

    /// <summary>"abcdefghij" repeated as ids 0..9, with 10 the mask token: a masked token is fixed by either neighbour.</summary>
    private static readonly long[] Periodic = Enumerable.Range(0, 3000).Select(i => (long)(i % 10)).ToArray();

    private static readonly TrainingOptions Options = new()
    {
        MaxSteps = 120,
        BatchSize = 8,
        SequenceLength = 32,
        LearningRate = 3e-2,
        WarmupSteps = 10,
        EvaluationInterval = 40,
        EvaluationBatches = 2,
        Seed = 9,
        Threads = 2,
    };

    [Fact]
    public void A_masked_language_model_trains_on_masked_tokens_and_learns_them_from_their_context()
    {
        torch.manual_seed(2);
        using var model = new NeighbourMaskedModel(vocab: 11, maskToken: 10);

        var report = Trainer.Train(model, Periodic[..2400], Periodic[2400..], Options, SilentTrainingObserver.Instance);

        // The trainer corrupted the inputs: about 15 % · 80 % of them were the mask token.
        Assert.InRange((double)model.MaskTokensSeen / model.TokensSeen, 0.09, 0.15);
        // A predictor blind to the context can do no better than ln 10.
        Assert.True(report.InitialValidationLoss > Math.Log(10), $"initial {report.InitialValidationLoss}");
        Assert.True(report.FinalValidationLoss < Math.Log(10) / 4, $"final {report.FinalValidationLoss}");
    }

    [Fact]
    public void An_interrupted_masked_language_model_run_resumes_with_the_same_masks_and_losses()
    {
        var options = Options with { MaxSteps = 12, EvaluationInterval = 4, EvaluationBatches = 1 };
        var path = Path.Combine(_directory, "mlm.safetensors");
        torch.manual_seed(1);
        using var uninterrupted = new NeighbourMaskedModel(11, 10);
        var whole = new RecordingObserver();
        Trainer.Train(uninterrupted, Periodic[..2400], Periodic[2400..], options, whole);

        torch.manual_seed(1);
        using (var first = new NeighbourMaskedModel(11, 10))
            Assert.Throws<TrainingInterrupted>(() => Trainer.Train(first, Periodic[..2400], Periodic[2400..], options, new RecordingObserver(stopAfter: 6),
                new CheckpointOptions { Path = path, Interval = 3 }));
        torch.manual_seed(999);
        using var resumed = new NeighbourMaskedModel(11, 10);
        var second = new RecordingObserver();
        Trainer.Train(resumed, Periodic[..2400], Periodic[2400..], options, second, new CheckpointOptions { Path = path, Interval = 3, Resume = true });

        Assert.Equal(Enumerable.Range(7, 6), second.Steps.Select(p => p.Step));
        for (int i = 0; i < second.Steps.Count; i++)
            Assert.True(Math.Abs(whole.Steps[6 + i].Loss - second.Steps[i].Loss) <= 1e-6, $"step {7 + i}: {whole.Steps[6 + i].Loss} uninterrupted, {second.Steps[i].Loss} resumed");
        Assert.Contains("MaskedTokenObjective { MaskToken = 10", Checkpoint.ReadMetadata(path).Resume!.Objective);

        // A run with another mask token would mask differently: it may not continue this one.
        using var other = new NeighbourMaskedModel(11, 9);
        var error = Assert.Throws<InvalidDataException>(() => Trainer.Train(other, Periodic[..2400], Periodic[2400..], options, new RecordingObserver(),
            new CheckpointOptions { Path = path, Resume = true }));
        Assert.Contains("with the objective MaskedTokenObjective { MaskToken = 10", error.Message);
        Assert.Contains("but this run has MaskedTokenObjective { MaskToken = 9", error.Message);
    }
}
