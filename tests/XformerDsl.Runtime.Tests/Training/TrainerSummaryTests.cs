using TorchSharp;
using TorchSharp.Modules;
using XformerDsl.Training;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Training;

/// <summary>What a run's summary says agrees with its log, and its throughput is the steps' own.</summary>
public class TrainerSummaryTests
{
    private static readonly long[] Tokens = ByteTokenizer.Encode(string.Concat(Enumerable.Repeat("abcdefghij", 200)));

    private static readonly TrainingOptions Short = new()
    {
        MaxSteps = 45,
        BatchSize = 4,
        SequenceLength = 16,
        LearningRate = 0.05,
        WarmupSteps = 5,
        EvaluationInterval = 1000,
        EvaluationBatches = 1,
        Seed = 3,
        Threads = 2,
    };

    [Fact]
    public void The_final_train_loss_of_the_summary_is_the_loss_the_last_logged_line_shows()
    {
        torch.manual_seed(2);
        using var model = new BigramLanguageModel(ByteTokenizer.VocabularySize);
        var recorder = new RecordingObserver();

        var report = Trainer.Train(model, Tokens, Tokens, Short, recorder);

        var last = recorder.Steps[^1];
        Assert.Equal(report.FinalTrainLoss, last.SmoothedLoss);
        Assert.Contains($"loss {TrainingConsole.FormatLoss(report.FinalTrainLoss)}", TrainingConsole.FormatLine(last));
        Assert.Equal(recorder.Steps.TakeLast(TrainingReport.FinalLossWindow).Average(p => p.Loss), report.FinalTrainLoss, 12);
    }

    /// <summary>A bigram model whose first training step and every validation pass are slow, as JIT warm-up and a big validation set make them.</summary>
    private sealed class SlowStartModel : nn.Module<Tensor, Tensor>
    {
        private readonly Embedding table;
        private bool _warm;

        public SlowStartModel(int vocabulary) : base(nameof(SlowStartModel))
        {
            table = nn.Embedding(vocabulary, vocabulary);
            RegisterComponents();
        }

        public override Tensor forward(Tensor ids)
        {
            if (!training || !_warm) Thread.Sleep(400);
            if (training) _warm = true;
            return table.forward(ids);
        }
    }

    [Fact]
    public void Tokens_per_second_of_a_five_step_run_leaves_out_the_warm_up_step_and_the_validation_passes()
    {
        using var model = new SlowStartModel(ByteTokenizer.VocabularySize);
        var options = Short with { MaxSteps = 5, EvaluationInterval = 1 };

        var recorder = new RecordingObserver();

        var report = Trainer.Train(model, Tokens, Tokens, options, recorder);

        // Between the reports of steps 1 and 5 lie steps 2 to 5 and the four 0.4 s validation passes after them. The rate
        // must come from those steps' own time, which is at most that window less the passes; counting the 0.4 s warm-up
        // step or any pass would put it below.
        long tokensPerStep = options.BatchSize * options.SequenceLength;
        double window = (recorder.Steps[4].Elapsed - recorder.Steps[0].Elapsed).TotalSeconds;
        Assert.True(report.TokensPerSecond >= 0.999 * 4 * tokensPerStep / (window - 4 * 0.4),
            $"{report.TokensPerSecond:N0} tokens/s; steps 2 to 5 and four passes took {window:F3} s");
        Assert.True(report.Elapsed.TotalSeconds > 6 * 0.4);
    }

    [Theory]
    [InlineData(5, new[] { 0, 5 })]
    [InlineData(30, new[] { 0, 10, 20, 30 })]
    [InlineData(60, new[] { 0, 10, 20, 30, 40, 50, 60 })]
    public void The_suggested_validation_cadence_of_a_short_run_is_not_every_step(int steps, int[] passes)
    {
        using var model = new BigramLanguageModel(ByteTokenizer.VocabularySize);
        var options = Short with { MaxSteps = steps, EvaluationInterval = TrainingOptions.EvaluationIntervalFor(steps) };

        var report = Trainer.Train(model, Tokens, Tokens, options, SilentTrainingObserver.Instance);

        Assert.Equal(passes, report.Evaluations.Select(e => e.Step));
    }

    [Fact]
    public void The_suggested_validation_cadence_is_about_six_passes_and_at_most_every_hundred_steps()
    {
        Assert.Equal(10, TrainingOptions.EvaluationIntervalFor(1));
        Assert.Equal(17, TrainingOptions.EvaluationIntervalFor(100));
        Assert.Equal(100, TrainingOptions.EvaluationIntervalFor(5000));
    }
}
