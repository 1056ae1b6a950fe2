using TorchSharp;
using XformerDsl.Training;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Training;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("xf-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void A_fresh_model_loaded_from_a_checkpoint_gives_exactly_the_same_logits()
    {
        torch.manual_seed(11);
        using var trained = new TinyLanguageModel(vocabulary: 32, dim: 16);
        var text = ByteTokenizer.Encode(string.Concat(Enumerable.Repeat("the quick brown fox ", 50))).Select(t => t % 32).ToArray();
        var options = new TrainingOptions { MaxSteps = 5, BatchSize = 4, SequenceLength = 16, Threads = 2, EvaluationBatches = 0 };
        var report = Trainer.Train(trained, text, default, options, SilentTrainingObserver.Instance);
        var path = Checkpoint.Save(trained, Path.Combine(_directory, "nested", "model.ckpt"), CheckpointMetadata.For(trained, report, options));

        torch.manual_seed(99);
        using var fresh = new TinyLanguageModel(vocabulary: 32, dim: 16);
        using var ids = torch.randint(0, 32, [3, 12], dtype: ScalarType.Int64);
        trained.eval();
        fresh.eval();
        Assert.False(fresh.forward(ids).eq(trained.forward(ids)).all().item<bool>());

        var metadata = Checkpoint.Load(fresh, path);

        Assert.True(fresh.forward(ids).eq(trained.forward(ids)).all().item<bool>());
        Assert.Equal(typeof(TinyLanguageModel).FullName, metadata.ModelType);
        Assert.Equal(5, metadata.Step);
        Assert.Equal(options, metadata.Training);
        Assert.Equal(report.FinalTrainLoss, metadata.TrainLoss);
        Assert.Equal(trained.parameters().Sum(p => p.numel()), metadata.ParameterCount);
        Assert.True(File.Exists(Path.Combine(_directory, "nested", "model.json")));
        Assert.Empty(Directory.GetFiles(Path.Combine(_directory, "nested"), "*.tmp"));
    }

    [Fact]
    public void Options_with_a_time_budget_round_trip_through_the_sidecar()
    {
        using var model = new BigramLanguageModel(8);
        var options = new TrainingOptions { TimeBudget = TimeSpan.FromMinutes(4.5), LearningRate = 3e-4 };
        var path = Checkpoint.Save(model, Path.Combine(_directory, "m.ckpt"), CheckpointMetadata.For(model, null, options));

        Assert.Equal(options, Checkpoint.ReadMetadata(path).Training);
    }

    [Fact]
    public void Loading_into_a_model_of_another_type_is_refused()
    {
        using var bigram = new BigramLanguageModel(16);
        var path = Checkpoint.Save(bigram, Path.Combine(_directory, "bigram.ckpt"), CheckpointMetadata.For(bigram));
        using var other = new TinyLanguageModel(16, 16);

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(other, path));
        Assert.Contains(nameof(BigramLanguageModel), error.Message);
        Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(bigram, Path.Combine(_directory, "missing.ckpt")));
    }
}
