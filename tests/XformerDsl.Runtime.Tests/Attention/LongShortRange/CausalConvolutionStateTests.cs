using TorchSharp;
using XformerDsl.Attention.LongShortRange;
using Xunit;
using static TorchSharp.torch;
using static XformerDsl.Tests.Attention.LongShortRange.ConvolutionKit;

namespace XformerDsl.Tests.Attention.LongShortRange;

/// <summary>
/// Stepping a causal convolution one position at a time against the parallel causal convolution (the fused kernel of
/// the same size): position by position, lightweight and dynamic, sequences shorter and longer than the kernel; inactive
/// steps; beam-search reordering; and a state that does not grow.
/// </summary>
public class CausalConvolutionStateTests
{
    [Theory]
    [InlineData(nameof(Causal1), false, 4)]
    [InlineData(nameof(Causal3), false, 12)]
    [InlineData(nameof(Causal3), true, 12)]
    [InlineData(nameof(Causal7), true, 5)]
    [InlineData(nameof(Causal15), false, 20)]
    [InlineData(nameof(Causal31), true, 40)]
    public void Stepping_equals_the_causal_parallel_convolution_position_by_position(string shape, bool dynamic, int seq)
    {
        var s = Shapes[shape];
        using var scope = NewDisposeScope();
        const int Batch = 2, Channels = 12, Heads = 3;
        var (x, weights) = Inputs(dynamic, Batch, seq, Channels, Heads, s.KernelSize, float64, seed: seq);
        var bias = dynamic ? null : randn(Channels, dtype: float64, generator: new Generator(3));
        var parallel = dynamic ? s.Dynamic(x, weights) : s.Lightweight(x, weights, bias);

        using var state = s.CreateState(Batch, Channels, Heads, x.device, float64);
        Assert.Equal(s.KernelSize, state.KernelSize);
        long elements = state.Elements;
        Assert.Equal(Batch * (s.KernelSize - 1) * Channels, elements);
        for (int t = 0; t < seq; t++)
        {
            var step = state.Step(x[.., t], dynamic ? weights[.., t] : weights, bias);
            Assert.Equal(new long[] { Batch, Channels }, step.shape);
            AssertClose(parallel[.., t], step, $"position {t}", 1e-12);
            Assert.Equal(elements, state.Elements);
        }
    }

    [Fact]
    public void A_sequence_that_skips_steps_equals_the_parallel_convolution_over_its_active_tokens()
    {
        var s = Shapes[nameof(Causal5)];
        using var scope = NewDisposeScope();
        var (x, weights) = Inputs(true, 2, 10, 8, 2, 5, float64, seed: 6);
        // Sequence 0 takes every token; sequence 1 only the even positions (as a shorter prompt would, padded in between).
        var active = stack([ones(10, dtype: ScalarType.Bool), arange(10) % 2 == 0], 0);   // [2, 10]
        using var state = new CausalConvolutionState(2, 8, 2, 5, x.device, float64);
        var outputs = new List<Tensor>();
        for (int t = 0; t < 10; t++)
            outputs.Add(state.Step(x[.., t], weights[.., t], active: active[.., t]));

        var even = arange(0, 10, 2);
        var alone = s.Dynamic(x[1].index_select(0, even).unsqueeze(0), weights[1].index_select(0, even).unsqueeze(0));
        for (int i = 0; i < 5; i++)
            AssertClose(alone[0, i], outputs[2 * i][1], $"sequence 1, its token {i}", 1e-12);
        var full = s.Dynamic(x, weights);
        for (int t = 0; t < 10; t++)
            AssertClose(full[0, t], outputs[t][0], $"sequence 0, position {t}", 1e-12);
    }

    [Fact]
    public void Reorder_continues_each_new_sequence_from_the_old_one_it_names()
    {
        var s = Shapes[nameof(Causal7)];
        using var scope = NewDisposeScope();
        var (x, weights) = Inputs(false, 3, 9, 6, 2, 7, float64, seed: 9);
        using var state = new CausalConvolutionState(3, 6, 2, 7, x.device, float64);
        for (int t = 0; t < 5; t++)
            state.Step(x[.., t], weights);

        // Beam search keeps hypothesis 2 twice and hypothesis 0 once; they continue with new tokens of their own.
        var order = tensor(new long[] { 2, 0, 2 });
        state.Reorder(order);
        Assert.Equal(new long[] { 3, 6, 6 }, state.Inputs.shape);
        var continued = x.index_select(0, order).clone();
        continued[2, TensorIndex.Slice(5)] = randn(new long[] { 4, 6 }, float64, generator: new Generator(1));
        var parallel = s.Lightweight(continued, weights, null);
        for (int t = 5; t < 9; t++)
            AssertClose(parallel[.., t], state.Step(continued[.., t], weights), $"position {t}", 1e-12);

        // The batch size stays: changing it needs a new state.
        Assert.Throws<ArgumentException>(() => state.Reorder(tensor(new long[] { 0, 1 })));
        Assert.Throws<ArgumentException>(() => state.Reorder(tensor(new long[] { 0, 1, 3 })));
        Assert.Throws<ArgumentException>(() => state.Step(x[..2, 0], weights));
        Assert.Throws<ArgumentException>(() => state.Step(x[.., 0], weights[..1]));
    }

    [Fact]
    public void A_centred_convolution_refuses_to_step_and_heads_must_divide_channels()
    {
        var centred = Assert.Throws<InvalidOperationException>(() => Shapes[nameof(Centred7)].CreateState(1, 6, 2, CPU, float64));
        Assert.Contains("3 positions ahead", centred.Message);
        Assert.Throws<ArgumentException>(() => new CausalConvolutionState(1, 6, 4, 3, CPU, float64));
        Assert.Throws<ArgumentException>(() => new CausalConvolutionState(1, 6, 2, 0, CPU, float64));
    }
}
