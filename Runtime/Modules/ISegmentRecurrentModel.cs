using static TorchSharp.torch;

namespace XformerDsl.Modules;

/// <summary>
/// A language model with segment recurrence (<c>[SegmentRecurrence]</c>, Transformer-XL): it reads a long stream in
/// consecutive segments, each layer attending to a memory of the positions before the segment. The trainer carries a
/// <see cref="SegmentMemory"/> from step to step through this interface; evaluation may create a longer one.
/// </summary>
public interface ISegmentRecurrentModel : ISequenceModel
{
    /// <summary>An empty memory whose layers each keep <paramref name="length"/> positions (the declared Memory by default).</summary>
    SegmentMemory CreateMemory(int length);

    /// <summary>
    /// An empty memory whose layers each keep <paramref name="length"/> positions and <paramref name="compressed"/>
    /// compressed slots (a Compressive Transformer, <c>[SegmentRecurrence(Compressed = ...)]</c>, implements it; a model
    /// without compression accepts only 0).
    /// </summary>
    /// <exception cref="ArgumentException">When <paramref name="compressed"/> is not 0 and the model does not compress its memory.</exception>
    SegmentMemory CreateMemory(int length, int compressed) => compressed == 0
        ? CreateMemory(length)
        : throw new ArgumentException($"{GetType().Name} keeps no compressed memory (its [SegmentRecurrence] declares no Compressed); pass compressed: 0.", nameof(compressed));

    /// <summary>
    /// Logits <c>[batch, seq, vocab]</c> for the segment <paramref name="tokens"/>, every layer attending to
    /// <paramref name="memory"/> before it; the memory is then updated in place to end with this segment.
    /// </summary>
    Tensor forward(Tensor tokens, Tensor? keyPaddingMask, SegmentMemory? memory);
}
