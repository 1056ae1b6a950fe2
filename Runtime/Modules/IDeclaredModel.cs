using static TorchSharp.torch;
using XformerDsl.Specs;

namespace XformerDsl.Modules;

/// <summary>
/// A generated model, which knows what it was declared as. The trainer reads the declaration to choose the objective
/// (next-token for a causal decoder, masked-token for a masked-language-model encoder, classification, teacher-forced
/// sequence-to-sequence for an encoder–decoder). Generated classes implement it explicitly:
/// <c>ModelSpec IDeclaredModel.Declaration => Spec;</c>
/// </summary>
public interface IDeclaredModel
{
    /// <summary>The model's architecture: the generated class's static <c>Spec</c>.</summary>
    ModelSpec Declaration { get; }
}

/// <summary>
/// A generated single-stack model (a decoder language model, or an encoder with any head) whose forward pass takes a key
/// padding mask: what the trainer calls on padded batches of sequences of different lengths (classification).
/// </summary>
public interface ISequenceModel : IDeclaredModel
{
    /// <summary>
    /// The forward pass over <paramref name="tokens"/> <c>[batch, seq]</c> with padding: logits <c>[batch, seq, vocab]</c>
    /// for a language-model or masked-language-model head, <c>[batch, classes]</c> for a classification head.
    /// </summary>
    /// <param name="tokens">Token ids, int64 <c>[batch, seq]</c>.</param>
    /// <param name="keyPaddingMask">Bool <c>[batch, seq]</c>, true for real tokens, false for padding; null means no padding.</param>
    Tensor forward(Tensor tokens, Tensor? keyPaddingMask);
}
