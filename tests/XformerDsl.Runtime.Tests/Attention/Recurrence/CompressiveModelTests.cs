using TorchSharp;
using XformerDsl.Modules;
using XformerDsl.Training;
using Xunit;
using static TorchSharp.torch;
using static XformerDsl.Tests.Attention.AttentionKernelKit;

namespace XformerDsl.Tests.Attention.Recurrence;

/// <summary>
/// Generated Compressive Transformers: before anything is compressed a segment with memory equals the model over both
/// segments; layer 0's memory and compressed slots after several segments; the compressed slots are attended to; the
/// memories pass no gradient back; causality with a compressed memory; the reconstruction loss reaches the compression
/// functions and no other parameter; the trainer adds it, reports the language model's loss, and trains the compression.
/// </summary>
public class CompressiveModelTests
{
    private static T Create<T>(Func<T> create) where T : nn.Module => SegmentRecurrenceModelTests.Create(create);

    [Fact]
    public void Before_anything_is_compressed_a_segment_with_memory_equals_the_model_over_both_segments()
    {
        using var model = Create(() => new TinyCompressiveTransformer());
        manual_seed(1);
        var first = randint(0, 8, new long[] { 2, 3 });
        var second = randint(8, 16, new long[] { 2, 5 });
        var upstream = randn(2, 5, 16, dtype: float64);

        model.zero_grad();
        var whole = model.forward(cat(new[] { first, second }, 1))[.., 3..];
        (whole * upstream).sum().backward();
        var wholeGradient = model.get_parameter("token_embedding.weight")!.grad!.clone();

        model.zero_grad();
        using var memory = model.CreateMemory();
        using (no_grad())
            model.forward(first, null, memory);
        Assert.Equal(0, memory.CompressedPositions);
        var withMemory = model.forward(second, null, memory);
        (withMemory * upstream).sum().backward();

        AssertClose(whole, withMemory, "logits of the second segment", tolerance: 1e-10);
        AssertClose(wholeGradient[8..], model.get_parameter("token_embedding.weight")!.grad![8..], "the second segment's embedding gradients", tolerance: 1e-10);
        Assert.Equal(2, memory.CompressedPositions);   // 8 positions seen, 4 kept: two slots of 2
    }

    [Fact]
    public void Layer_zero_keeps_the_last_embeddings_and_the_means_of_the_pairs_that_left_them()
    {
        // Layer 0's input is the token embedding: after 3 + 6 + 5 = 14 positions the memory holds positions 10–13 and the
        // compressed memory the means of (4, 5), (6, 7), (8, 9); the pairs (0, 1) and (2, 3) have fallen out of it.
        using var model = Create(() => new TinyMeanPooledCompressive());
        manual_seed(3);
        var stream = randint(0, 16, new long[] { 1, 14 });
        using var memory = model.CreateMemory();
        foreach (var (start, length) in new[] { (0, 3), (3, 6), (9, 5) })
            model.forward(stream[.., start..(start + length)], null, memory);

        var embedded = model.get_parameter("token_embedding.weight")!.index_select(0, stream[0]);   // [14, 16]
        AssertClose(embedded[10..].unsqueeze(0), memory[0]!, "layer 0's memory", tolerance: 1e-12);
        var pairs = embedded[4..10].view(3, 2, 16).mean(new long[] { 1 }).unsqueeze(0);
        AssertClose(pairs, memory.Compressed(0)!, "layer 0's compressed slots", tolerance: 1e-12);
    }

    [Fact]
    public void Later_segments_attend_to_the_compressed_slots()
    {
        using var model = Create(() => new TinyCompressiveTransformer());
        manual_seed(4);
        var stream = randint(0, 16, new long[] { 2, 16 });
        Tensor Last(int compressed)
        {
            using var memory = model.CreateMemory(length: 4, compressed);
            model.forward(stream[.., ..6], null, memory);
            model.forward(stream[.., 6..12], null, memory);
            return model.forward(stream[.., 12..], null, memory);
        }
        Assert.False(Last(3).eq(Last(0)).all().item<bool>(), "the compressed slots changed nothing");
    }

    [Fact]
    public void Later_tokens_of_a_segment_leave_earlier_logits_unchanged_with_a_compressed_memory()
    {
        using var model = Create(() => new TinyMeanPooledCompressive());
        manual_seed(5);
        var first = randint(0, 16, new long[] { 2, 10 });
        var second = randint(0, 16, new long[] { 2, 8 });
        var changed = second.clone();
        changed[.., 5..] = (changed[.., 5..] + 1) % 16;
        Tensor Run(Tensor segment)
        {
            using var memory = model.CreateMemory();
            model.forward(first, null, memory);
            Assert.Equal(3, memory.CompressedPositions);
            return model.forward(segment, null, memory);
        }
        var before = Run(second);
        var after = Run(changed);
        Assert.True(before[.., ..5].eq(after[.., ..5]).all().item<bool>(), "logits before position 5 changed");
        Assert.False(before[.., 5..].eq(after[.., 5..]).all().item<bool>());
    }

    [Fact]
    public void No_gradient_reaches_earlier_segments_through_either_memory()
    {
        using var model = Create(() => new TinyCompressiveTransformer());
        model.train();
        manual_seed(6);
        var first = randint(0, 8, new long[] { 2, 8 });
        var second = randint(8, 16, new long[] { 2, 6 });
        using var memory = model.CreateMemory();
        model.forward(first, null, memory);
        Assert.All(Enumerable.Range(0, 2), layer => Assert.False(memory[layer]!.requires_grad || memory.Compressed(layer)!.requires_grad));
        model.TakeAuxiliaryLoss()?.Dispose();

        model.zero_grad();
        model.forward(second, null, memory).sum().backward();
        var gradient = model.get_parameter("token_embedding.weight")!.grad!;
        Assert.Equal(0.0, gradient[..8].abs().max().item<double>());
        // The language model's loss does not train the compression: its slots are stored without gradient.
        foreach (var (name, parameter) in model.named_parameters().Where(p => p.name.StartsWith("memory_compression.")))
            Assert.True(parameter.grad is null || parameter.grad.abs().max().item<double>() == 0, $"{name} got a gradient from the language model's loss");
    }

    [Fact]
    public void The_reconstruction_loss_trains_the_compression_functions_and_no_other_parameter()
    {
        using var model = Create(() => new TinyCompressiveTransformer());
        model.train();
        manual_seed(8);
        var stream = randint(0, 16, new long[] { 2, 18 });
        using var memory = model.CreateMemory();
        model.forward(stream[.., ..4], null, memory);
        Assert.Null(model.TakeAuxiliaryLoss());                  // 4 positions: nothing left the memory of 4 yet
        model.forward(stream[.., 4..10], null, memory);
        using var loss = model.TakeAuxiliaryLoss();
        Assert.NotNull(loss);
        Assert.True(loss!.item<double>() > 0);
        Assert.Null(model.TakeAuxiliaryLoss());                  // taken once

        model.zero_grad();
        loss.backward();
        var named = model.named_parameters().ToList();
        Assert.Equal(4, named.Count(p => p.name.StartsWith("memory_compression.")));   // weight and bias of 2 layers
        foreach (var (name, parameter) in named)
        {
            double largest = parameter.grad is null ? 0 : parameter.grad.abs().max().item<double>();
            if (name.StartsWith("memory_compression."))
                Assert.True(largest > 0, $"{name} got no gradient from the reconstruction loss");
            else
                Assert.True(largest == 0, $"{name} got a gradient of up to {largest} from the reconstruction loss");
        }
    }

    [Fact]
    public void Evaluation_and_gradient_free_forwards_compute_no_reconstruction_loss()
    {
        using var model = Create(() => new TinyCompressiveTransformer());
        manual_seed(9);
        var stream = randint(0, 16, new long[] { 1, 12 });
        using var memory = model.CreateMemory();
        model.forward(stream, null, memory);
        Assert.Null(model.TakeAuxiliaryLoss());
        model.train();
        using (no_grad())
            model.forward(stream, null, memory);
        Assert.Null(model.TakeAuxiliaryLoss());
        // Pooling has nothing to train, so a pooled model has no auxiliary loss at all.
        Assert.False(typeof(IAuxiliaryLossSource).IsAssignableFrom(typeof(TinyMeanPooledCompressive)));
    }

    [Fact]
    public void The_trainer_reports_the_language_model_loss_and_trains_the_compression_with_the_reconstruction_loss()
    {
        var stream = Enumerable.Range(0, 50).Select(i => (long)((i * 5 + i / 4) % 16)).ToArray();   // 2 rows of 25: 4 segments of 6
        manual_seed(2);
        using var model = new TinyCompressiveTransformer();
        var before = model.get_parameter("memory_compression.1.weight")!.detach().clone();
        var expected = SegmentLosses(model, stream);
        var observer = new Tests.Training.RecordingObserver();
        var options = new TrainingOptions
        {
            MaxSteps = 3, BatchSize = 2, SequenceLength = 6, LearningRate = 1e-12, WarmupSteps = 0, EvaluationInterval = 100,
            EvaluationBatches = 0, Seed = 4, Threads = 2, WeightDecay = 0,
        };
        Trainer.Train(model, stream, Array.Empty<long>(), options, observer);
        var losses = observer.Steps.Select(s => s.Loss).ToArray();
        for (int step = 0; step < 3; step++)
            Assert.True(Math.Abs(expected[step] - losses[step]) < 1e-5, $"step {step}: reported {losses[step]}, the segment's language-model loss is {expected[step]}");

        // A real learning rate: the compression's only gradient is the reconstruction loss, so it moves only if the trainer added it.
        Trainer.Train(model, stream, Array.Empty<long>(), options with { LearningRate = 1e-2 }, new Tests.Training.RecordingObserver());
        Assert.True((model.get_parameter("memory_compression.1.weight")! - before).abs().max().item<float>() > 1e-4, "the compression did not train");
    }

    // The language-model loss of the first segments of an epoch, read in order with the carried memory.
    private static double[] SegmentLosses(TinyCompressiveTransformer model, long[] stream)
    {
        using var rows = SegmentStream.Rows(stream, 2);
        using var memory = model.CreateMemory();
        var losses = new double[3];
        using (no_grad())
        {
            model.train();
            for (int i = 0; i < 3; i++)
            {
                var (inputs, targets) = SegmentStream.Segment(rows, i, 6);
                losses[i] = Trainer.LanguageModelLoss(model.forward(inputs, null, memory), targets).item<float>();
            }
        }
        return losses;
    }

    [Fact]
    public void Evaluation_may_keep_no_compressed_slots_and_a_model_without_compression_refuses_them()
    {
        using var model = Create(() => new TinyCompressiveTransformer());
        var stream = Enumerable.Range(0, 40).Select(i => (long)((i * 3 + i / 5) % 16)).ToArray();
        double declared = SegmentStream.Loss(model, stream, batch: 2, segmentLength: 5, memoryLength: 4);
        double withoutCompressed = SegmentStream.Loss(model, stream, batch: 2, segmentLength: 5, memoryLength: 4, compressedLength: 0);
        Assert.NotEqual(declared, withoutCompressed, 6);

        using var xl = Create(() => new TinyTransformerXl());
        ISegmentRecurrentModel recurrent = xl;
        Assert.Throws<ArgumentException>(() => recurrent.CreateMemory(8, compressed: 4));
        using var plain = recurrent.CreateMemory(8, compressed: 0);
        Assert.False(plain.Compresses);
    }
}
