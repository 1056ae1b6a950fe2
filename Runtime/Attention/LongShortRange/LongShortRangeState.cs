using XformerDsl.Attention.Full;
using XformerDsl.Modules;
using static TorchSharp.torch;

namespace XformerDsl.Attention.LongShortRange;

/// <summary>
/// What one long-short range attention layer keeps between generation steps: its attention branch's key-value cache
/// (which grows with the position) and its convolution branch's last K − 1 inputs (which do not). One state per layer in
/// a <see cref="RecurrentState"/>; reordered and disposed together.
/// </summary>
public sealed class LongShortRangeState : ILayerState
{
    /// <summary>Takes ownership of both states.</summary>
    /// <param name="attention">The attention branch's key-value cache.</param>
    /// <param name="convolution">The convolution branch's causal state.</param>
    public LongShortRangeState(KeyValueCache attention, CausalConvolutionState convolution)
    {
        Attention = attention ?? throw new ArgumentNullException(nameof(attention));
        Convolution = convolution ?? throw new ArgumentNullException(nameof(convolution));
    }

    /// <summary>The attention branch's key-value cache.</summary>
    public KeyValueCache Attention { get; }

    /// <summary>The convolution branch's last K − 1 inputs.</summary>
    public CausalConvolutionState Convolution { get; }

    /// <inheritdoc/>
    public long Elements => Attention.Elements + Convolution.Elements;

    /// <inheritdoc/>
    public void Reorder(Tensor batchIndices)
    {
        Attention.Reorder(batchIndices);
        Convolution.Reorder(batchIndices);
    }

    /// <summary>Frees both states.</summary>
    public void Dispose()
    {
        Attention.Dispose();
        Convolution.Dispose();
    }
}
