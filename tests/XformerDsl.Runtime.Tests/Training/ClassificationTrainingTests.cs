using TorchSharp;
using XformerDsl.Training;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Training;

/// <summary>Classification from labelled sequences of different lengths: padding, loss, accuracy, learning.</summary>
public sealed class ClassificationTrainingTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("xf-classify-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>Sequences of 2 to 8 ids in [0, 10), labelled 1 when token 7 appears.</summary>
    private static LabelledSequence[] ContainsSeven(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var tokens = Enumerable.Range(0, random.Next(2, 9)).Select(_ => (long)random.Next(10)).ToArray();
            return new LabelledSequence(tokens, tokens.Contains(7) ? 1 : 0);
        }).ToArray();
    }

    [Fact]
    public void A_batch_pads_each_sequence_to_the_longest_and_masks_the_padding()
    {
        using var scope = NewDisposeScope();
        var objective = new ClassificationObjective(Classes: 3);
        LabelledSequence[] examples = [new([4, 5, 6], 2), new([7], 0), new([1, 2], 1)];

        var batch = objective.Batch(examples, [2, 0, 1], maxLength: 8);

        Assert.Equal(new long[] { 3, 3 }, batch.Tokens.shape);
        Assert.Equal(new long[] { 1, 2, 0, 4, 5, 6, 7, 0, 0 }, batch.Tokens.data<long>().ToArray());
        Assert.Equal(new[] { true, true, false, true, true, true, true, false, false }, batch.PaddingMask.data<bool>().ToArray());
        Assert.Equal(new long[] { 1, 2, 0 }, batch.Labels.data<long>().ToArray());
        Assert.Equal(6, batch.RealTokens);
    }

    [Fact]
    public void Logits_that_are_not_one_row_of_class_scores_per_sequence_are_refused_with_the_shapes()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => new ClassificationObjective(3).Loss(zeros(2, 5, 3), tensor(new long[] { 0, 1 })));
        Assert.Contains("[batch, classes] = [2, 3]", error.Message);
        Assert.Contains("got [2, 5, 3]", error.Message);
    }

    [Fact]
    public void A_classifier_learns_whether_a_token_appears_well_above_chance()
    {
        var train = ContainsSeven(600, seed: 1);
        var validation = ContainsSeven(200, seed: 2);
        double majority = Math.Max(validation.Average(e => e.Label), 1 - validation.Average(e => e.Label));
        torch.manual_seed(3);
        using var model = new MeanPoolClassifier(vocab: 10, classes: 2, maxLength: 8);
        var recorder = new RecordingObserver();
        var options = new TrainingOptions
        {
            MaxSteps = 200, BatchSize = 32, LearningRate = 2e-2, WarmupSteps = 10, EvaluationInterval = 100, EvaluationBatches = 7, Seed = 4, Threads = 2,
        };

        var report = Trainer.Train(model, train, validation, options, recorder);

        Assert.True(report.FinalValidationAccuracy > 0.95, $"accuracy {report.FinalValidationAccuracy}, majority class {majority}");
        Assert.True(majority < 0.7, $"the task is balanced enough for accuracy to mean something: {majority}");
        Assert.True(report.FinalValidationLoss < 0.2, $"validation loss {report.FinalValidationLoss}");
        Assert.Equal([0, 100, 200], report.Evaluations.Select(e => e.Step));
        Assert.All(report.Evaluations, e => Assert.NotNull(e.ValidationAccuracy));
        Assert.Equal(report.FinalValidationAccuracy, recorder.Evaluations[^1].ValidationAccuracy);
        Assert.Contains("  acc ", TrainingConsole.FormatLine(recorder.Steps[^1]));
        Assert.InRange(report.TokensTrained, 200L * 32 * 2, 200L * 32 * 8);   // real tokens only: 2 to 8 per sequence
    }

    [Fact]
    public void The_sampler_visits_every_example_once_per_epoch_and_resumes_where_it_was()
    {
        var sampler = new ExampleSampler(count: 10, batchSize: 4, seed: 3);
        var first = sampler.NextIndices().Concat(sampler.NextIndices()).Concat(sampler.NextIndices()).ToArray();
        Assert.Equal(Enumerable.Range(0, 10), first[..10].Order());

        var resumed = new ExampleSampler(count: 10, batchSize: 4, seed: 3);
        resumed.Seek(8);
        Assert.Equal(first[8..12], resumed.NextIndices());
    }

    [Fact]
    public void An_interrupted_classification_run_resumes_with_the_same_batches_and_losses_and_refuses_other_data()
    {
        var train = ContainsSeven(100, seed: 5);
        var validation = ContainsSeven(40, seed: 6);
        var options = new TrainingOptions { MaxSteps = 12, BatchSize = 16, LearningRate = 2e-2, WarmupSteps = 2, EvaluationInterval = 4, EvaluationBatches = 2, Seed = 8, Threads = 2 };
        var path = Path.Combine(_directory, "classifier.safetensors");
        torch.manual_seed(1);
        using var uninterrupted = new MeanPoolClassifier(10, 2, 8);
        var whole = new RecordingObserver();
        var wholeReport = Trainer.Train(uninterrupted, train, validation, options, whole);

        torch.manual_seed(1);
        using (var first = new MeanPoolClassifier(10, 2, 8))
            Assert.Throws<TrainingInterrupted>(() => Trainer.Train(first, train, validation, options, new RecordingObserver(stopAfter: 7),
                new CheckpointOptions { Path = path, Interval = 7 }));
        torch.manual_seed(999);
        using var resumed = new MeanPoolClassifier(10, 2, 8);
        var second = new RecordingObserver();
        var resumedReport = Trainer.Train(resumed, train, validation, options, second, new CheckpointOptions { Path = path, Interval = 7, Resume = true });

        // Seven steps of 16 from 100 examples: the resumed sampler continues inside the second epoch.
        Assert.Equal(Enumerable.Range(8, 5), second.Steps.Select(p => p.Step));
        for (int i = 0; i < second.Steps.Count; i++)
            Assert.True(Math.Abs(whole.Steps[7 + i].Loss - second.Steps[i].Loss) <= 1e-6, $"step {8 + i}: {whole.Steps[7 + i].Loss} uninterrupted, {second.Steps[i].Loss} resumed");
        Assert.Equal(wholeReport.FinalValidationAccuracy, resumedReport.FinalValidationAccuracy);
        Assert.Equal(wholeReport.TokensTrained, resumedReport.TokensTrained);

        using var fresh = new MeanPoolClassifier(10, 2, 8);
        var other = train.Select((e, i) => i == 0 ? e with { Label = 1 - e.Label } : e).ToArray();
        var error = Assert.Throws<InvalidDataException>(() => Trainer.Train(fresh, other, validation, options, new RecordingObserver(),
            new CheckpointOptions { Path = path, Resume = true }));
        Assert.Contains("100 labelled sequences", error.Message);
    }
}
