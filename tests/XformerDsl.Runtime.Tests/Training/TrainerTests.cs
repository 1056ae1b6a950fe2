using TorchSharp;
using XformerDsl.Training;
using Xunit;

namespace XformerDsl.Tests.Training;

public class TrainerTests
{
    private const int Period = 10;

    /// <summary>"abcdefghij" repeated: each byte determines the next, while the bytes alone are uniform over ten values.</summary>
    private static readonly TextCorpus Periodic = TextCorpus.FromText(
        string.Concat(Enumerable.Repeat("abcdefghij", 400)), validationFraction: 0.25);

    private static readonly TrainingOptions Quick = new()
    {
        MaxSteps = 150,
        BatchSize = 8,
        SequenceLength = 32,
        LearningRate = 0.1,
        WarmupSteps = 10,
        EvaluationInterval = 50,
        EvaluationBatches = 2,
        Seed = 5,
        Threads = 2,
    };

    [Fact]
    public void Learns_a_periodic_pattern_better_than_any_predictor_that_ignores_context()
    {
        torch.manual_seed(1);
        using var model = new BigramLanguageModel(ByteTokenizer.VocabularySize);
        var recorder = new RecordingObserver();

        var report = Trainer.Train(model, ByteTokenizer.Encode(Periodic.Train.Span), ByteTokenizer.Encode(Periodic.Validation.Span), Quick, recorder);

        // The best a model blind to the previous byte can do is the entropy of the byte frequencies, ln 10.
        double contextFree = Math.Log(Period);
        Assert.True(report.InitialLoss > contextFree, $"initial {report.InitialLoss}");
        Assert.True(report.FinalTrainLoss < contextFree / 2, $"final train {report.FinalTrainLoss}");
        Assert.True(report.FinalValidationLoss < contextFree / 2, $"final validation {report.FinalValidationLoss}");
        Assert.True(report.FinalValidationLoss < report.InitialValidationLoss);
        Assert.Equal(Quick.MaxSteps, report.Steps);
        Assert.Equal(StopReason.MaxSteps, report.StoppedBy);
        Assert.Equal((long)Quick.MaxSteps * Quick.BatchSize * Quick.SequenceLength, report.TokensTrained);
        Assert.True(report.TokensPerSecond > 0);

        Assert.Equal(Enumerable.Range(1, Quick.MaxSteps), recorder.Steps.Select(p => p.Step));
        Assert.Equal([0, 50, 100, 150], report.Evaluations.Select(e => e.Step));
        Assert.Equal([0, 50, 100, 150], recorder.Evaluations.Select(e => e.Step));
        Assert.Null(report.Evaluations[0].TrainLoss);
        Assert.All(recorder.Steps, p => Assert.InRange(p.Fraction, 0, 1));
        Assert.Equal(1.0, recorder.Steps[^1].Fraction);
        // Warm-up then decay: the rate peaks at the end of warm-up and ends near its floor.
        Assert.Equal(recorder.Steps.Max(p => p.LearningRate), recorder.Steps[Quick.WarmupSteps - 1].LearningRate);
        Assert.True(recorder.Steps[^1].LearningRate < Quick.LearningRate * (Quick.MinLearningRateFraction + 0.01));
    }

    [Fact]
    public void A_time_budget_stops_the_run_and_still_ends_with_a_validation_pass()
    {
        using var model = new BigramLanguageModel(ByteTokenizer.VocabularySize);
        var options = Quick with { MaxSteps = 1_000_000, TimeBudget = TimeSpan.FromMilliseconds(300), EvaluationInterval = 1_000_000 };

        var report = Trainer.Train(model, ByteTokenizer.Encode(Periodic.Train.Span), ByteTokenizer.Encode(Periodic.Validation.Span), options, SilentTrainingObserver.Instance);

        Assert.Equal(StopReason.TimeBudget, report.StoppedBy);
        Assert.InRange(report.Steps, 1, options.MaxSteps - 1);
        Assert.Equal(report.Steps, report.Evaluations[^1].Step);
        Assert.True(report.Elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Without_enough_validation_text_there_is_no_validation_loss()
    {
        using var model = new BigramLanguageModel(ByteTokenizer.VocabularySize);
        var report = Trainer.Train(model, ByteTokenizer.Encode(Periodic.Train.Span), new long[8], Quick with { MaxSteps = 3 }, SilentTrainingObserver.Instance);

        Assert.Null(report.FinalValidationLoss);
        Assert.Empty(report.Evaluations);
        Assert.Equal(3, report.Steps);
    }

    [Fact]
    public void A_loss_that_is_not_finite_stops_the_run_with_a_message_about_the_learning_rate()
    {
        using var model = new OverflowingLanguageModel(ByteTokenizer.VocabularySize);
        var error = Assert.Throws<InvalidOperationException>(() =>
            Trainer.Train(model, ByteTokenizer.Encode(Periodic.Train.Span), default, Quick with { MaxSteps = 5 }, SilentTrainingObserver.Instance));
        Assert.Contains("learning rate", error.Message);
        Assert.Contains("step 1", error.Message);
    }

    [Fact]
    public void Out_of_range_options_are_named()
    {
        var error = Assert.Throws<ArgumentException>(() => (Quick with { SequenceLength = 0 }).Validate());
        Assert.Contains(nameof(TrainingOptions.SequenceLength), error.Message);
    }

    [Fact]
    public void A_progress_line_shows_step_loss_rate_throughput_and_time()
    {
        var line = TrainingConsole.FormatLine(new TrainingProgress(
            Step: 250, MaxSteps: 1000, Fraction: 0.25, Loss: 1.9, SmoothedLoss: 1.84213, ValidationLoss: 1.931,
            LearningRate: 9.1e-4, GradientNorm: 0.7, TokensPerSecond: 21_345, Elapsed: TimeSpan.FromSeconds(42), Remaining: TimeSpan.FromSeconds(125)));

        Assert.Equal("step  250/1000  loss 1.8421  val 1.9310  lr 9.1e-04  21.3k tok/s  elapsed 0:42  ETA 2:05", line);
    }
}
