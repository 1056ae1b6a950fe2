using static TorchSharp.torch;

namespace XformerDsl.Modules;

/// <summary>
/// One attention layer's part of a <see cref="RecurrentState"/>: what its family keeps between steps (a fixed-size
/// summary, a growing cache). The state owns it and disposes it with itself.
/// </summary>
public interface ILayerState : IDisposable
{
    /// <summary>Elements held, for memory accounting.</summary>
    long Elements { get; }

    /// <summary>
    /// Reorders the sequences (beam search): sequence b takes the state sequence <c>batchIndices[b]</c> had, by
    /// <c>index_select</c> on the batch dimension, in place or by replacing the held tensors. The batch size stays.
    /// </summary>
    /// <param name="batchIndices">Int64 <c>[batch]</c> on the state's device, values in [0, batch), repeats allowed
    /// (checked by the caller, <see cref="BatchIndices.Check"/>).</param>
    void Reorder(Tensor batchIndices);
}
