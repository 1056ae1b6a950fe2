using TorchSharp;
using XformerDsl.Attention;
using XformerDsl.Attention.Full;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Runtime.Tests.Models;

/// <summary>
/// The in-place decoding step every key-value and pattern cache takes on the CPU (<see cref="KeyValueSlots.StepInPlace"/>)
/// against the composed attention it replaces: the same slots written, the same attention over the visible slots.
/// </summary>
public sealed class KeyValueSlotsStepTests
{
    [Theory]
    [InlineData(ScalarType.Float32, 1e-5)]
    [InlineData(ScalarType.Float64, 1e-12)]
    public void Equals_the_composed_attention_over_the_visible_slots(ScalarType dtype, double tolerance)
    {
        const int batch = 3, heads = 2, headDim = 16, limit = 40;
        torch.manual_seed(7);
        using var noGrad = no_grad();
        using var slots = new KeyValueSlots(batch, heads, headDim, limit, CPU, dtype);
        var generator = new Random(7);
        for (int step = 0; step < 12; step++)
        {
            // Sequences write at slots of their own (past the first capacity, so the slots grow), heads see different slots,
            // and one (sequence, head) sees none: its output is zeros.
            long[] at = Enumerable.Range(0, batch).Select(b => (long)generator.Next(limit)).ToArray();
            slots.Reserve(at);
            int width = (int)slots.Capacity;
            var visible = new bool[batch * heads * width];
            for (int i = 0; i < visible.Length; i++)
                visible[i] = generator.NextDouble() < 0.4;
            for (int b = 0; b < batch; b++)
                for (int h = 0; h < heads; h++)
                    visible[(b * heads + h) * width + (int)at[b]] = true;
            Array.Clear(visible, (1 * heads + 1) * width, width);
            // q, k and v as a step's projections lie: head-split views of [batch, 1, heads · headDim].
            var q = randn(new long[] { batch, 1, heads * headDim }, dtype).view(batch, 1, heads, headDim).transpose(1, 2);
            var k = randn(new long[] { batch, 1, heads * headDim }, dtype).view(batch, 1, heads, headDim).transpose(1, 2);
            var v = randn(new long[] { batch, 1, heads * headDim }, dtype).view(batch, 1, heads, headDim).transpose(1, 2);

            var before = (Keys: slots.Keys(width).clone(), Values: slots.Values(width).clone());
            var actual = slots.StepInPlace(q, k, v, at, visible, width);

            var index = tensor(at).view(-1, 1, 1, 1).expand(batch, heads, 1, headDim);
            var keys = before.Keys.scatter(2, index, k);
            var values = before.Values.scatter(2, index, v);
            Assert.True(slots.Keys(width).allclose(keys, rtol: 0, atol: 0) && slots.Values(width).allclose(values, rtol: 0, atol: 0), $"step {step}: the slots written differ");
            var expected = FullAttentionReference.WithVisibility(q, keys, values, tensor(visible, new long[] { batch, heads, 1, width }));
            double difference = (actual - expected).abs().max().to(ScalarType.Float64).item<double>();
            Assert.True(difference <= tolerance, $"step {step}: max diff {difference}");
            Assert.Equal(0.0, actual[1, 1].abs().sum().to(ScalarType.Float64).item<double>());
        }
    }

    [Fact]
    public void A_slot_past_the_limit_is_refused_before_anything_is_written()
    {
        using var noGrad = no_grad();
        using var slots = new KeyValueSlots(2, 1, 4, 8, CPU, ScalarType.Float32);
        var q = randn(2, 1, 1, 4);
        // A sequence at MaxLength (slot 8 of 8): writing there would run past the slots' memory.
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => slots.StepInPlace(q, q, q, new long[] { 3, 8 }, new bool[2 * 8], 8));
        Assert.Contains("slot 8", error.Message);
        Assert.Equal(0.0, slots.Keys(slots.Capacity).abs().sum().item<float>());
    }

    [Fact]
    public void Is_not_taken_where_gradients_are_recorded()
    {
        using var slots = new KeyValueSlots(1, 1, 4, 8, CPU, ScalarType.Float32);
        var q = randn(new long[] { 1, 1, 1, 4 }, requires_grad: true);
        Assert.False(slots.CanStepInPlace(q, q, q));
        using (no_grad())
            Assert.True(slots.CanStepInPlace(q, q, q));
    }
}
