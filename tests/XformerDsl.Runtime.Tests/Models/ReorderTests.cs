using XformerDsl.Attention.Full;
using XformerDsl.Attention.Linear;
using XformerDsl.Modules;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Models;

/// <summary>
/// Beam search reorders states: after <c>Reorder(indices)</c>, sequence b continues exactly as sequence
/// <c>indices[b]</c> would have, for every kind of layer state and for the recurrent and decoder states around them.
/// </summary>
public class ReorderTests
{
    private static readonly long[] Order = { 2, 0, 2 };   // a repeat and a drop, as beam search makes

    private static Tensor Random(params long[] shape) => randn(shape, float64);

    [Fact]
    public void A_reordered_key_value_cache_continues_as_the_sequences_it_took()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var original = new KeyValueCache(3, heads: 2, headDim: 4, maxLength: 8, CPU, ScalarType.Float64);
        using var reordered = new KeyValueCache(3, heads: 2, headDim: 4, maxLength: 8, CPU, ScalarType.Float64);
        var positions = tensor(new long[] { 0, 0, 0 });
        for (int step = 0; step < 3; step++, positions = positions + 1)
        {
            var (q, k, v) = (Random(3, 2, 1, 4), Random(3, 2, 1, 4), Random(3, 2, 1, 4));
            original.Step(q, k, v, positions);
            reordered.Step(q, k, v, positions);
        }
        var order = tensor(Order);
        reordered.Reorder(order);

        var (q2, k2, v2) = (Random(3, 2, 1, 4), Random(3, 2, 1, 4), Random(3, 2, 1, 4));
        var expected = original.Step(q2, k2, v2, positions).index_select(0, order);
        var actual = reordered.Step(q2.index_select(0, order), k2.index_select(0, order), v2.index_select(0, order), positions);
        Assert.True(actual.allclose(expected, rtol: 0, atol: 1e-12));
    }

    [Fact]
    public void A_reordered_linear_attention_state_continues_as_the_sequences_it_took()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        using var original = new LinearAttentionState(3, heads: 2, features: 5, headDim: 4, CPU, ScalarType.Float64);
        using var reordered = new LinearAttentionState(3, heads: 2, features: 5, headDim: 4, CPU, ScalarType.Float64);
        for (int step = 0; step < 3; step++)
        {
            var (q, k, v) = (Random(3, 2, 1, 5).abs(), Random(3, 2, 1, 5).abs(), Random(3, 2, 1, 4));
            original.Step(q, k, v, null);
            reordered.Step(q, k, v, null);
        }
        var order = tensor(Order);
        reordered.Reorder(order);

        Assert.True(reordered.Sums.equal(original.Sums.index_select(0, order)).all().item<bool>());
        var (q2, k2, v2) = (Random(3, 2, 1, 5).abs(), Random(3, 2, 1, 5).abs(), Random(3, 2, 1, 4));
        var expected = original.Step(q2, k2, v2, null).index_select(0, order);
        var actual = reordered.Step(q2.index_select(0, order), k2.index_select(0, order), v2.index_select(0, order), null);
        Assert.True(actual.allclose(expected, rtol: 0, atol: 1e-12));
    }

    [Fact]
    public void A_recurrent_state_reorders_its_positions_and_every_layer()
    {
        using var scope = NewDisposeScope();
        using var state = new RecurrentState(batch: 3, maxLength: 8, CPU, ScalarType.Float64);
        var cache = state.KeyValues(0, heads: 1, headDim: 2);
        var linear = state.Linear(1, heads: 1, features: 2, headDim: 2);
        linear.Sums.copy_(arange(3, dtype: float64).view(3, 1, 1, 1).expand(3, 1, 2, 2));
        state.BeginStep(tensor(new long[] { 1, 1, 1 }), tensor(new[] { true, false, true }), vocab: 4, "Test");
        state.EndStep();   // positions 1, 0, 1

        state.Reorder(tensor(new long[] { 1, 1, 0 }));

        Assert.Equal(new long[] { 0, 0, 1 }, state.Positions.data<long>().ToArray());
        Assert.Equal(new double[] { 1, 1, 0 }, linear.Sums[.., 0, 0, 0].data<double>().ToArray());
        Assert.Same(cache, state.KeyValues(0, heads: 1, headDim: 2));
    }

    [Fact]
    public void Indices_of_the_wrong_shape_or_range_are_refused_with_the_shape_and_the_fix()
    {
        using var scope = NewDisposeScope();
        using var state = new RecurrentState(batch: 3, maxLength: 8, CPU, ScalarType.Float32);

        var shape = Assert.Throws<ArgumentException>(() => state.Reorder(tensor(new long[] { 0, 1, 2, 0, 1, 2 })));
        Assert.Contains("[batch] = [3]", shape.Message);
        Assert.Contains("shape [6]", shape.Message);
        Assert.Contains("RepeatInterleave", shape.Message);

        var range = Assert.Throws<ArgumentException>(() => state.Reorder(tensor(new long[] { 0, 3, 1 })));
        Assert.Contains("[0, 3)", range.Message);
        Assert.Contains("from 0 to 3", range.Message);
    }

    [Fact]
    public void A_decoder_state_reorders_self_attention_cross_keys_and_the_padding_mask_together()
    {
        using var scope = NewDisposeScope();
        var mask = tensor(new[] { true, true, true, false, true, false }).view(3, 2);
        using var encoded = new EncodedSource(arange(3 * 2 * 4, dtype: float64).view(3, 2, 4), mask);
        using var state = new DecoderState(new RecurrentState(3, maxLength: 8, CPU, ScalarType.Float64), encoded);
        var cross = state.CrossKeyValues(0, s => new CrossAttentionKeyValues(encoded.Output.unsqueeze(1), encoded.Output.unsqueeze(1) * 2));
        state.SelfAttention.BeginStep(tensor(new long[] { 0, 0, 0 }), tensor(new[] { false, true, false }), vocab: 4, "Test");
        state.SelfAttention.EndStep();   // positions 0, 1, 0

        state.Reorder(tensor(Order));

        Assert.Equal(new long[] { 0, 0, 0 }, state.SelfAttention.Positions.data<long>().ToArray());
        Assert.True(cross.Keys.equal(encoded.Output.index_select(0, tensor(Order)).unsqueeze(1)).all().item<bool>());
        Assert.True(state.SourcePaddingMask!.equal(mask.index_select(0, tensor(Order))).all().item<bool>());
        Assert.True(encoded.PaddingMask!.equal(mask).all().item<bool>(), "the encoded source keeps its own mask");
    }

    [Fact]
    public void Repeating_an_encoded_source_for_beams_puts_each_sources_copies_side_by_side()
    {
        using var scope = NewDisposeScope();
        using var encoded = new EncodedSource(arange(2 * 3 * 1, dtype: float64).view(2, 3, 1), tensor(new[] { true, true, false, true, true, true }).view(2, 3));
        using var beams = encoded.RepeatInterleave(3);

        Assert.Equal(new long[] { 6, 3, 1 }, beams.Output.shape);
        Assert.Equal(new double[] { 0, 0, 0, 3, 3, 3 }, beams.Output[.., 0, 0].data<double>().ToArray());
        Assert.Equal(new[] { false, false, false, true, true, true }, beams.PaddingMask![.., 2].data<bool>().ToArray());
    }
}
