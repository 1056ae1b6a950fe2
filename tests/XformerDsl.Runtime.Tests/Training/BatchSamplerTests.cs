using TorchSharp;
using XformerDsl.Training;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Training;

public class BatchSamplerTests
{
    private static readonly long[] Counting = Enumerable.Range(0, 1000).Select(i => (long)i).ToArray();

    [Fact]
    public void Targets_are_the_inputs_shifted_by_one_token()
    {
        var sampler = new BatchSampler(Counting, batchSize: 4, sequenceLength: 16, seed: 1);
        using var batch = sampler.Next();

        Assert.Equal([4L, 16], batch.Inputs.shape);
        Assert.Equal([4L, 16], batch.Targets.shape);
        Assert.Equal(ScalarType.Int64, batch.Inputs.dtype);
        Assert.Equal(ScalarType.Int64, batch.Targets.dtype);
        // On the stream 0, 1, 2, … every target is its input + 1, and each row is contiguous.
        Assert.True(batch.Targets.eq(batch.Inputs + 1).all().item<bool>());
        Assert.True((batch.Inputs[.., 1..] - batch.Inputs[.., ..15]).eq(1).all().item<bool>());
    }

    [Fact]
    public void Rows_are_the_windows_at_the_given_offsets()
    {
        long[] tokens = [10, 11, 12, 13, 14, 15];
        using var batch = BatchSampler.FromOffsets(tokens, [0, 3], sequenceLength: 2);

        Assert.Equal([10L, 11, 13, 14], batch.Inputs.data<long>().ToArray());
        Assert.Equal([11L, 12, 14, 15], batch.Targets.data<long>().ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchSampler.FromOffsets(tokens, [4], sequenceLength: 2));
    }

    [Fact]
    public void The_same_seed_draws_the_same_batches()
    {
        var a = new BatchSampler(Counting, 8, 32, seed: 7);
        var b = new BatchSampler(Counting, 8, 32, seed: 7);
        var c = new BatchSampler(Counting, 8, 32, seed: 8);
        for (int i = 0; i < 5; i++)
        {
            var offsets = a.NextOffsets();
            Assert.Equal(offsets, b.NextOffsets());
            Assert.NotEqual(offsets, c.NextOffsets());
        }
    }

    [Fact]
    public void Every_window_and_its_target_fit_in_the_stream()
    {
        long[] tokens = [.. Enumerable.Range(0, 40).Select(i => (long)i)];
        var sampler = new BatchSampler(tokens, 64, 39, seed: 3);   // exactly one window fits
        Assert.Equal(1, sampler.WindowCount);
        Assert.All(sampler.NextOffsets(), offset => Assert.Equal(0, offset));

        var wide = new BatchSampler(tokens, 256, 8, seed: 3);
        var offsets = wide.NextOffsets();
        Assert.Equal(0, offsets.Min());
        Assert.Equal(tokens.Length - 9, offsets.Max());
    }

    [Fact]
    public void A_stream_shorter_than_a_window_and_its_target_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new BatchSampler(new long[16], 1, 16, 0));
        Assert.Contains("17", error.Message);
    }
}
