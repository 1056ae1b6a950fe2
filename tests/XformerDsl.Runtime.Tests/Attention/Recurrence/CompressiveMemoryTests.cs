using TorchSharp;
using XformerDsl.Modules;
using Xunit;
using static TorchSharp.torch;
using static XformerDsl.Tests.Attention.AttentionKernelKit;

namespace XformerDsl.Tests.Attention.Recurrence;

/// <summary>
/// The Compressive Transformer's memory without a model: what <see cref="SegmentMemory"/> evicts, compresses and keeps
/// over segments of uneven lengths, against a plain list simulation of the two FIFOs; the compression functions against
/// libtorch's convolution and pools; the reconstruction loss against the direct composition, in value and in the
/// compression's gradient, and the parameters it must not reach.
/// </summary>
public class CompressiveMemoryTests
{
    private const int Dim = 3, Length = 4, CompressedLength = 3, Ratio = 2;

    // Position p's hidden state is (10p, 10p + 1, 10p + 2), so every row names its position.
    private static Tensor Hidden(int start, int count) =>
        (arange(start, start + count, dtype: float64).unsqueeze(1) * 10 + arange(Dim, dtype: float64).unsqueeze(0)).unsqueeze(0);

    [Theory]
    [InlineData(CompressionFunction.MeanPool)]
    [InlineData(CompressionFunction.MaxPool)]
    public void Eviction_compression_and_what_is_kept_match_a_list_simulation_over_uneven_segments(CompressionFunction function)
    {
        using var memory = new SegmentMemory(layers: 1, Length, CompressedLength, Ratio);
        using var compressor = new MemoryCompressor(function, Dim, Ratio, bias: false);
        var kept = new List<int>();              // the positions in the memory, oldest first
        var slots = new List<int[]>();           // each compressed slot's positions
        int next = 0;
        foreach (int segment in new[] { 3, 5, 2, 6, 1, 1, 4, 7 })
        {
            // The simulation: positions leave, oldest first, in whole groups of Ratio once the memory holds more than Length.
            var joined = kept.Concat(Enumerable.Range(next, segment)).ToList();
            int leaving = Math.Max(0, joined.Count - Length) / Ratio * Ratio;
            var evictedPositions = joined.Take(leaving).ToList();
            kept = joined.Skip(leaving).ToList();
            slots.AddRange(evictedPositions.Chunk(Ratio));
            slots = slots.Skip(Math.Max(0, slots.Count - CompressedLength)).ToList();

            var evicted = memory.Update(0, Hidden(next, segment));
            next += segment;
            if (evictedPositions.Count == 0)
                Assert.Null(evicted);
            else
            {
                AssertClose(Rows(evictedPositions), evicted!, $"evicted after {next} positions", tolerance: 0);
                memory.AppendCompressed(0, compressor.forward(evicted!));
            }

            Assert.Equal(kept.Count, memory.Positions);
            AssertClose(Rows(kept), memory[0]!, $"memory after {next} positions", tolerance: 0);
            Assert.Equal(slots.Count, memory.CompressedPositions);
            if (slots.Count > 0)
            {
                var expectedSlots = cat(slots.Select(slot => Pool(Rows(slot), function)).ToArray(), 1);
                AssertClose(expectedSlots, memory.Compressed(0)!, $"compressed slots after {next} positions", tolerance: 1e-12);
                AssertClose(cat(new[] { expectedSlots, Rows(kept) }, 1), memory.Context(0)!, "context [compressed; memory]", tolerance: 1e-12);
            }
        }
        memory.Reset();
        Assert.Null(memory.Context(0));
        Assert.Equal(0, memory.CompressedPositions);
    }

    private static Tensor Rows(IEnumerable<int> positions) => cat(positions.Select(p => Hidden(p, 1)).ToArray(), 1);

    private static Tensor Pool(Tensor rows, CompressionFunction function) =>
        function == CompressionFunction.MeanPool ? rows.mean(new long[] { 1 }, keepdim: true) : rows.amax(new long[] { 1 }, keepdim: true);

    [Fact]
    public void A_memory_of_length_zero_passes_every_whole_group_to_compression_and_keeps_the_rest()
    {
        using var memory = new SegmentMemory(layers: 1, length: 0, CompressedLength, Ratio);
        var evicted = memory.Update(0, Hidden(0, 5));
        AssertClose(Hidden(0, 4), evicted!, "the two whole groups", tolerance: 0);
        AssertClose(Hidden(4, 1), memory[0]!, "the incomplete group waits in the memory", tolerance: 0);
    }

    [Fact]
    public void Without_compression_the_memory_evicts_nothing_to_compress_and_refuses_slots()
    {
        using var memory = new SegmentMemory(layers: 1, Length);
        Assert.Null(memory.Update(0, Hidden(0, 7)));
        Assert.Equal(Length, memory.Positions);
        Assert.Throws<InvalidOperationException>(() => memory.AppendCompressed(0, Hidden(0, 1)));
    }

    [Fact]
    public void The_convolution_is_libtorch_conv1d_with_kernel_and_stride_the_ratio()
    {
        manual_seed(11);
        using var compressor = new MemoryCompressor(CompressionFunction.Convolution, dim: 5, ratio: 3, bias: true);
        compressor.to(float64);
        using (no_grad())
            compressor.bias!.normal_();
        var positions = randn(2, 9, 5, dtype: float64);
        var expected = nn.functional.conv1d(positions.transpose(1, 2), compressor.weight!, compressor.bias, stride: 3).transpose(1, 2);
        AssertClose(expected, compressor.forward(positions), "slots", tolerance: 1e-12);
        Assert.Throws<ArgumentException>(() => compressor.forward(randn(2, 8, 5, dtype: float64)));
    }

    [Fact]
    public void The_convolution_starts_near_the_mean_of_its_slot()
    {
        manual_seed(12);
        using var compressor = new MemoryCompressor(CompressionFunction.Convolution, dim: 64, ratio: 4, bias: true);
        using var mean = new MemoryCompressor(CompressionFunction.MeanPool, dim: 64, ratio: 4, bias: true);
        var positions = randn(1, 16, 64);
        var difference = (compressor.forward(positions) - mean.forward(positions)).std().item<float>();
        Assert.InRange(difference, 0.05, 0.5);     // N(0, 0.02) noise over 4 · 64 inputs of unit variance: about 0.32
        Assert.Empty(mean.parameters());
    }

    // A layer as the model has it: a norm, then the content attention of its projections.
    private sealed class Layer : IDisposable
    {
        public readonly TorchSharp.Modules.LayerNorm Norm = nn.LayerNorm(6);
        public readonly TorchSharp.Modules.Linear Query = nn.Linear(6, 6), Key = nn.Linear(6, 6), Value = nn.Linear(6, 6);

        public Tensor[] Parameters => Norm.parameters().Concat(Query.parameters()).Concat(Key.parameters()).Concat(Value.parameters()).ToArray();

        public Tensor Attend(Tensor segment, Tensor context) =>
            AttentionReconstruction.ContentAttention(Norm.forward(segment), Norm.forward(context), Query, Key, Value, heads: 2);

        public void Dispose()
        {
            Norm.Dispose();
            Query.Dispose();
            Key.Dispose();
            Value.Dispose();
        }
    }

    private static (Layer Layer, MemoryCompressor Compressor, Tensor Segment, Tensor Evicted) ReconstructionCase()
    {
        manual_seed(13);
        var layer = new Layer();
        foreach (var module in new nn.Module[] { layer.Norm, layer.Query, layer.Key, layer.Value })
            module.to(float64);
        using (no_grad())
        {
            layer.Norm.weight!.normal_(1.0, 0.3);
            layer.Norm.bias!.normal_(0.0, 0.3);
        }
        var compressor = new MemoryCompressor(CompressionFunction.Convolution, dim: 6, ratio: 2, bias: true);
        compressor.to(float64);
        var segment = randn(2, 5, 6, dtype: float64).requires_grad_(true);
        var evicted = randn(2, 8, 6, dtype: float64);
        return (layer, compressor, segment, evicted);
    }

    [Fact]
    public void The_reconstruction_loss_has_the_direct_compositions_value_and_compression_gradient_and_reaches_nothing_else()
    {
        var (layer, compressor, segment, evicted) = ReconstructionCase();
        using var _ = layer;
        using var __ = compressor;

        // Direct: the mean squared difference with every gradient flowing, the target held constant.
        var target = layer.Attend(segment, evicted).detach();
        var direct = nn.functional.mse_loss(layer.Attend(segment, compressor.forward(evicted)), target);
        direct.backward();
        var directWeight = compressor.weight!.grad!.clone();
        var directBias = compressor.bias!.grad!.clone();
        Assert.True(layer.Query.weight.grad!.abs().max().item<double>() > 0, "the direct composition does reach the layer");

        foreach (var parameter in layer.Parameters.Concat(compressor.parameters()).Append(segment))
            parameter.grad?.zero_();
        var loss = AttentionReconstruction.Loss(context => layer.Attend(segment, context), evicted, compressor.forward(evicted));
        loss.backward();

        Assert.Equal(direct.item<double>(), loss.item<double>(), 12);
        AssertClose(directWeight, compressor.weight!.grad!, "the convolution's weight gradient", tolerance: 1e-12);
        AssertClose(directBias, compressor.bias!.grad!, "the convolution's bias gradient", tolerance: 1e-12);
        Assert.True(directWeight.abs().max().item<double>() > 1e-8, "the loss trains the compression");
        foreach (var other in layer.Parameters.Append(segment))
            Assert.True(other.grad is null || other.grad.abs().max().item<double>() == 0, "the layer's parameters and the queries get no gradient");
    }

    [Fact]
    public void The_compression_gradient_of_the_reconstruction_loss_agrees_with_float64_finite_differences()
    {
        var (layer, compressor, segment, evicted) = ReconstructionCase();
        using var _ = layer;
        using var __ = compressor;
        AttentionReconstruction.Loss(context => layer.Attend(segment, context), evicted, compressor.forward(evicted)).backward();
        var gradient = compressor.weight!.grad!;

        double LossAt()
        {
            using (no_grad())
                return AttentionReconstruction.Loss(context => layer.Attend(segment, context), evicted, compressor.forward(evicted)).item<double>();
        }
        const double Step = 1e-6;
        foreach (var (o, i, t) in new[] { (0, 0, 0), (3, 1, 1), (5, 4, 0), (2, 2, 1) })
        {
            double original = compressor.weight![o, i, t].item<double>();
            using (no_grad()) compressor.weight![o, i, t] = original + Step;
            double plus = LossAt();
            using (no_grad()) compressor.weight![o, i, t] = original - Step;
            double minus = LossAt();
            using (no_grad()) compressor.weight![o, i, t] = original;
            Assert.Equal((plus - minus) / (2 * Step), gradient[o, i, t].item<double>(), 7);
        }
    }
}
