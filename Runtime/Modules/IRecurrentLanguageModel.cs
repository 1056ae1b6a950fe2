using static TorchSharp.torch;

namespace XformerDsl.Modules;

/// <summary>
/// A generated language model that generates token by token from a state: every causal model whose attention families
/// all step (a fixed-size state for linear attention and sliding windows, a key-value cache that grows with the position
/// for full attention, per-bucket rings for LSH, each layer's memory for Transformer-XL, …; a family that cannot step
/// says so in its documentation, and its models do not implement this). <see cref="Step"/> equals the parallel forward
/// pass at each position (for Transformer-XL: one-token segments over the memory).
/// </summary>
public interface IRecurrentLanguageModel
{
    /// <summary>A state for <paramref name="batch"/> sequences, each at position 0, on the model's device and dtype.</summary>
    RecurrentState CreateState(long batch);

    /// <summary>
    /// Feeds one token per sequence and returns the logits <c>[batch, vocab]</c> for the next one. Sequences whose
    /// <paramref name="active"/> entry is false keep their state and position (their logits are meaningless), so a batch
    /// can hold sequences of different lengths. For inference: applies no dropout and records no gradients.
    /// </summary>
    /// <param name="state">From <see cref="CreateState"/>; updated in place.</param>
    /// <param name="tokens">Token ids, <c>[batch]</c>, int64 or int32.</param>
    /// <param name="active">Null (every sequence advances), or bool <c>[batch]</c>.</param>
    Tensor Step(RecurrentState state, Tensor tokens, Tensor? active = null);
}
