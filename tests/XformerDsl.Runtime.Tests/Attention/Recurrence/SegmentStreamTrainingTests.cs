using TorchSharp;
using XformerDsl.Training;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Attention.Recurrence;

/// <summary>
/// Training and evaluating a Transformer-XL on consecutive segments: the segment loss with a memory that holds the whole
/// past equals the loss of the model over the whole stream at once; the trainer's steps are the stream's segments in
/// order, each with the memory of the earlier ones, emptied when the rows start over.
/// </summary>
public class SegmentStreamTrainingTests
{
    [Fact]
    public void Segment_loss_with_the_whole_past_as_memory_equals_the_loss_over_the_whole_stream()
    {
        manual_seed(1);
        using var model = new TinyTransformerXl();
        model.to(float64);
        model.eval();
        var stream = Enumerable.Range(0, 26).Select(i => (long)((i * 7 + i / 3) % 16)).ToArray();   // 2 rows of 13: 3 segments of 4 and targets

        double segments = SegmentStream.Loss(model, stream, batch: 2, segmentLength: 4, memoryLength: 8);
        var rows = SegmentStream.Rows(stream, 2);
        double whole;
        using (no_grad())
            whole = Trainer.LanguageModelLoss(model.forward(rows[.., ..12]), rows[.., 1..13]).item<double>();

        Assert.Equal(whole, segments, 10);
        Assert.NotEqual(whole, SegmentStream.Loss(model, stream, batch: 2, segmentLength: 4, memoryLength: 0), 3);
    }

    [Fact]
    public void The_trainer_reads_consecutive_segments_carrying_the_memory_and_empties_it_when_the_rows_start_over()
    {
        // 2 rows of 13 tokens: 3 segments of 4 per epoch. A learning rate of 1e-12 leaves the weights as they are, so each
        // step's loss is the loss of its segment with the memory the trainer carried into it.
        var stream = Enumerable.Range(0, 26).Select(i => (long)((i * 5 + i / 4) % 16)).ToArray();
        manual_seed(2);
        using var model = new TinyTransformerXl();
        var expected = ExpectedLosses(model, stream);
        var observer = new Tests.Training.RecordingObserver();
        var options = new TrainingOptions
        {
            MaxSteps = 5, BatchSize = 2, SequenceLength = 4, LearningRate = 1e-12, WarmupSteps = 0, EvaluationInterval = 100,
            EvaluationBatches = 0, Seed = 4, Threads = 2,
        };

        Trainer.Train(model, stream, Array.Empty<long>(), options, observer);

        var losses = observer.Steps.Select(s => s.Loss).ToArray();
        Assert.Equal(5, losses.Length);
        for (int step = 0; step < 5; step++)
            Assert.True(Math.Abs(expected[step % 3] - losses[step]) < 1e-5, $"step {step}: loss {losses[step]}, expected {expected[step % 3]} (segment {step % 3} with the memory of the segments before it this epoch)");
    }

    // The loss of each segment of the epoch read in order with a memory, and the second without one (to tell them apart).
    private static double[] ExpectedLosses(TinyTransformerXl model, long[] stream)
    {
        var rows = SegmentStream.Rows(stream, 2);
        using var memory = model.CreateMemory();
        using var _ = no_grad();
        var losses = Enumerable.Range(0, 3).Select(i =>
        {
            var (inputs, targets) = SegmentStream.Segment(rows, i, 4);
            return Trainer.LanguageModelLoss(model.forward(inputs, null, memory), targets).item<float>();
        }).Select(loss => (double)loss).ToArray();
        var (secondInputs, secondTargets) = SegmentStream.Segment(rows, 1, 4);
        Assert.NotEqual(losses[1], Trainer.LanguageModelLoss(model.forward(secondInputs), secondTargets).item<float>(), 4);
        return losses;
    }
}
