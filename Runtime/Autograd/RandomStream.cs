using System;
using TorchSharp;
using static TorchSharp.torch;

namespace XformerDsl.Autograd;

/// <summary>
/// A saved position in TorchSharp's default (CPU) random stream, so that a computation repeated in the backward pass
/// (chunked feed-forward, reversible layers) draws the same dropout masks as the forward pass did.
/// </summary>
public sealed class RandomStream : IDisposable
{
    private readonly Tensor _state;

    private RandomStream(Tensor state) => _state = state;

    /// <summary>The current position of the default generator, kept until <see cref="Dispose"/> whatever dispose scope is open.</summary>
    public static RandomStream Capture() => new(get_rng_state().DetachFromDisposeScope());

    /// <summary>
    /// Runs <paramref name="computation"/> from the saved position, then returns the generator to where it was, so
    /// the replay neither depends on nor disturbs the draws around it.
    /// </summary>
    public T Replay<T>(Func<T> computation)
    {
        using var now = get_rng_state();
        set_rng_state(_state);
        try
        {
            return computation();
        }
        finally
        {
            set_rng_state(now);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _state.Dispose();
}
