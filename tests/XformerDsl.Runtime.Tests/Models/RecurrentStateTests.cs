using XformerDsl.Attention.Full;
using XformerDsl.Attention.Linear;
using XformerDsl.Modules;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Models;

/// <summary>
/// A recurrent state keeps one layer state per attention layer, of the kind its family makes, whatever the family: the
/// mechanism a new family's step uses without changing <see cref="RecurrentState"/>.
/// </summary>
public class RecurrentStateTests
{
    /// <summary>A family's layer state as a new family would write it: here it counts its elements and its disposals.</summary>
    private sealed class CountingState(long elements) : ILayerState
    {
        public int Disposals { get; private set; }

        public long Elements => elements;

        public void Dispose() => Disposals++;

        public void Reorder(Tensor batchIndices) { }
    }

    [Fact]
    public void A_layer_state_is_made_once_from_the_states_shape_and_kept()
    {
        using var state = new RecurrentState(batch: 3, maxLength: 16, CPU, ScalarType.Float32);
        int made = 0;
        var first = state.Layer(2, s => { made++; Assert.Equal(3, s.Batch); return new CountingState(s.Batch * s.MaxLength); });
        var again = state.Layer(2, _ => { made++; return new CountingState(0); });

        Assert.Same(first, again);
        Assert.Equal(1, made);
        Assert.Equal(state.Positions.numel() + 48, state.Elements);
    }

    [Fact]
    public void Layers_of_different_families_live_side_by_side_and_are_disposed_with_the_state()
    {
        var state = new RecurrentState(batch: 2, maxLength: 8, CPU, ScalarType.Float32);
        var custom = state.Layer(0, _ => new CountingState(5));
        var linear = state.Linear(1, heads: 2, features: 4, headDim: 3);
        var cache = state.KeyValues(2, heads: 2, headDim: 3);

        Assert.IsType<LinearAttentionState>(linear);
        Assert.IsType<KeyValueCache>(cache);
        Assert.Equal(state.Positions.numel() + 5 + linear.Elements + cache.Elements, state.Elements);
        state.Dispose();
        Assert.Equal(1, custom.Disposals);
    }

    [Fact]
    public void Asking_a_layer_for_another_kind_of_state_names_both_kinds()
    {
        using var state = new RecurrentState(batch: 1, maxLength: 8, CPU, ScalarType.Float32);
        state.Linear(0, heads: 1, features: 2, headDim: 2);

        var error = Assert.Throws<InvalidOperationException>(() => state.KeyValues(0, heads: 1, headDim: 2));
        Assert.Contains("LinearAttentionState", error.Message);
        Assert.Contains("KeyValueCache", error.Message);
    }
}
