using static TorchSharp.torch;

namespace XformerDsl.Modules;

/// <summary>
/// The check every <c>Reorder</c> makes on its indices: beam search reorders a state's sequences by an int64 <c>[batch]</c>
/// tensor whose entry b names the old sequence that becomes sequence b (repeats allowed, so a beam may be copied).
/// </summary>
public static class BatchIndices
{
    /// <summary>
    /// Throws <see cref="ArgumentException"/> unless <paramref name="batchIndices"/> is an integer <c>[batch]</c> tensor with
    /// values in [0, batch); returns it as int64 on <paramref name="device"/>.
    /// </summary>
    /// <param name="batchIndices">The new order.</param>
    /// <param name="batch">Sequences the state holds.</param>
    /// <param name="device">The state's device.</param>
    /// <param name="owner">The state's name, for the message.</param>
    public static Tensor Check(Tensor batchIndices, long batch, Device device, string owner)
    {
        ArgumentNullException.ThrowIfNull(batchIndices);
        if (batchIndices.dim() != 1 || batchIndices.shape[0] != batch || (batchIndices.dtype != ScalarType.Int64 && batchIndices.dtype != ScalarType.Int32))
            throw new ArgumentException(
                $"{owner}.Reorder: batchIndices must be integer [batch] = [{batch}], for each sequence the old sequence it takes the state of; " +
                $"got {batchIndices.dtype} of shape {ModelInputs.Shape(batchIndices)}. To change the batch size, create a new state (for beam search: EncodedSource.RepeatInterleave before CreateDecoderState).",
                nameof(batchIndices));
        if (batch > 0)
        {
            long lowest, highest;
            using (NewDisposeScope())
            {
                lowest = batchIndices.min().to(ScalarType.Int64).item<long>();
                highest = batchIndices.max().to(ScalarType.Int64).item<long>();
            }
            if (lowest < 0 || highest >= batch)
                throw new ArgumentException($"{owner}.Reorder: batchIndices must lie in [0, {batch}); got values from {lowest} to {highest}.", nameof(batchIndices));
        }
        return batchIndices.to(ScalarType.Int64).to(device);
    }
}
