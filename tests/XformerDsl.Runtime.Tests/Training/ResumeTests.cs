using TorchSharp;
using XformerDsl.Training;
using Xunit;
using static TorchSharp.torch;
using Gpt = XformerDsl.Tests.Training.Saved.CkptGpt;

namespace XformerDsl.Tests.Training;

/// <summary>A run interrupted, saved and resumed in fresh objects takes the steps the uninterrupted run takes.</summary>
public sealed class ResumeTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("xf-resume-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static readonly TextCorpus Text = TextCorpus.FromText(
        string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 40)), validationFraction: 0.2);

    private static long[] Tokens(ReadOnlyMemory<byte> bytes) => ByteTokenizer.Encode(bytes.Span).Select(t => t % 16).ToArray();

    private static readonly TrainingOptions Options = new()
    {
        MaxSteps = 12,
        BatchSize = 4,
        SequenceLength = 8,
        LearningRate = 3e-2,
        WarmupSteps = 3,
        EvaluationInterval = 4,
        EvaluationBatches = 1,
        Seed = 21,
        Threads = 2,
    };

    [Fact]
    public void Interrupted_after_half_the_steps_and_resumed_in_fresh_objects_the_losses_equal_the_uninterrupted_runs()
    {
        var train = Tokens(Text.Train);
        var validation = Tokens(Text.Validation);
        var path = Path.Combine(_directory, "run", "gpt.safetensors");

        torch.manual_seed(1);
        using var uninterrupted = new Gpt();
        var whole = new RecordingObserver();
        var wholeReport = Trainer.Train(uninterrupted, train, validation, Options, whole);

        torch.manual_seed(1);
        using (var first = new Gpt())
        {
            // The run dies after step 6, just after its checkpoint (as a killed process would).
            Assert.Throws<TrainingInterrupted>(() => Trainer.Train(first, train, validation, Options, new RecordingObserver(stopAfter: 6),
                new CheckpointOptions { Path = path, Interval = 3 }));
        }
        torch.manual_seed(999);   // the fresh model starts elsewhere, and torch's generator is somewhere else too
        using var resumed = new Gpt();
        var second = new RecordingObserver();
        var resumedReport = Trainer.Train(resumed, train, validation, Options, second,
            new CheckpointOptions { Path = path, Interval = 3, Resume = true });

        Assert.Equal(Enumerable.Range(7, 6), second.Steps.Select(p => p.Step));
        for (int i = 0; i < second.Steps.Count; i++)
        {
            var expected = whole.Steps[6 + i];
            Assert.True(Math.Abs(expected.Loss - second.Steps[i].Loss) <= 1e-6, $"step {expected.Step}: {expected.Loss} uninterrupted, {second.Steps[i].Loss} resumed");
            Assert.Equal(expected.LearningRate, second.Steps[i].LearningRate, 12);
        }
        Assert.Equal(wholeReport.FinalTrainLoss, resumedReport.FinalTrainLoss, 6);
        Assert.Equal(wholeReport.FinalValidationLoss!.Value, resumedReport.FinalValidationLoss!.Value, 6);
        Assert.Equal(wholeReport.InitialLoss, resumedReport.InitialLoss, 6);
        Assert.Equal(wholeReport.Evaluations.Select(e => e.Step), resumedReport.Evaluations.Select(e => e.Step));
        Assert.Equal(Options.MaxSteps, resumedReport.Steps);
        foreach (var (name, parameter) in uninterrupted.named_parameters())
            Assert.True(parameter.allclose(resumed.get_parameter(name)!, rtol: 0, atol: 1e-6), name);

        // The end of the run is a checkpoint too: weights, optimizer state and sidecar, and no temporary files.
        var metadata = Checkpoint.ReadMetadata(path);
        Assert.Equal(Options.MaxSteps, metadata.Step);
        Assert.Equal("gpt.optimizer.pt", metadata.Resume!.OptimizerFile);
        Assert.Equal(["gpt.json", "gpt.optimizer.pt", "gpt.safetensors"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Resuming_with_another_seed_or_other_data_is_refused_naming_it()
    {
        var train = Tokens(Text.Train);
        var path = Path.Combine(_directory, "gpt.pt");
        using var model = new Gpt();
        Trainer.Train(model, train, default, Options with { MaxSteps = 2 }, new RecordingObserver(), new CheckpointOptions { Path = path });

        using var fresh = new Gpt();
        var seed = Assert.Throws<InvalidDataException>(() => Trainer.Train(fresh, train, default, Options with { Seed = 22 }, new RecordingObserver(),
            new CheckpointOptions { Path = path, Resume = true }));
        Assert.Contains("Seed = 21, but this run has Seed = 22", seed.Message);

        var data = Assert.Throws<InvalidDataException>(() => Trainer.Train(fresh, train[..^1], default, Options, new RecordingObserver(),
            new CheckpointOptions { Path = path, Resume = true }));
        Assert.Contains($"{train.Length:N0} training tokens", data.Message);
    }

    [Fact]
    public void A_damaged_optimizer_state_is_refused_by_its_checksum()
    {
        var train = Tokens(Text.Train);
        var path = Path.Combine(_directory, "gpt.safetensors");
        using var model = new Gpt();
        Trainer.Train(model, train, default, Options with { MaxSteps = 2 }, new RecordingObserver(), new CheckpointOptions { Path = path });
        var optimizer = Path.Combine(_directory, "gpt.optimizer.pt");
        var bytes = File.ReadAllBytes(optimizer);
        bytes[^100] ^= 0x40;
        File.WriteAllBytes(optimizer, bytes);

        using var fresh = new Gpt();
        var error = Assert.Throws<InvalidDataException>(() => Trainer.Train(fresh, train, default, Options, new RecordingObserver(),
            new CheckpointOptions { Path = path, Resume = true }));
        Assert.Contains($"optimizer state '{optimizer}' have checksum", error.Message);
    }

    [Fact]
    public void Resume_without_a_checkpoint_starts_afresh()
    {
        using var model = new Gpt();
        var report = Trainer.Train(model, Tokens(Text.Train), default, Options with { MaxSteps = 2 }, new RecordingObserver(),
            new CheckpointOptions { Path = Path.Combine(_directory, "new.safetensors"), Resume = true });

        Assert.Equal(2, report.Steps);
        Assert.True(File.Exists(Path.Combine(_directory, "new.safetensors")));
    }

    [Fact]
    public void A_save_that_fails_while_writing_the_optimizer_state_leaves_the_previous_checkpoint_whole_and_resumable()
    {
        var train = Tokens(Text.Train);
        var path = Path.Combine(_directory, "gpt.safetensors");
        using var model = new Gpt();
        int files = 0;
        // The save at step 3 writes weights, optimizer state and sidecar; the one at step 6 fails in its optimizer state.
        Checkpoint.WriteStreamWrapper = stream => files++ == 4 ? new FailingStream(stream, 100) : stream;
        try
        {
            Assert.Throws<IOException>(() => Trainer.Train(model, train, default, Options, new RecordingObserver(), new CheckpointOptions { Path = path, Interval = 3 }));
        }
        finally
        {
            Checkpoint.WriteStreamWrapper = null;
        }

        Assert.Empty(Directory.GetFiles(_directory, "*.tmp"));
        Assert.Equal(3, Checkpoint.ReadMetadata(path).Step);
        using var fresh = new Gpt();
        var report = Trainer.Train(fresh, train, default, Options, new RecordingObserver(), new CheckpointOptions { Path = path, Resume = true });
        Assert.Equal(Options.MaxSteps, report.Steps);
    }
}
