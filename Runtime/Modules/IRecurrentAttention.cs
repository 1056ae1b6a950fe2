using static TorchSharp.torch;

namespace XformerDsl.Modules;

/// <summary>An attention layer that can attend one new token per sequence from a recurrent state.</summary>
public interface IRecurrentAttention
{
    /// <summary>Maps <c>[batch, 1, dim]</c> (the normalised residual stream at the new token) to <c>[batch, 1, dim]</c>.</summary>
    /// <param name="x">The new token's input.</param>
    /// <param name="state">The model's state.</param>
    /// <param name="layer">This layer's number, which picks its part of the state.</param>
    Tensor Step(Tensor x, RecurrentState state, int layer);
}
