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
    /// Logits <c>[batch, seq, vocab]</c> for the segment <paramref name="tokens"/>, every layer attending to
    /// <paramref name="memory"/> before it; the memory is then updated in place to end with this segment.
    /// </summary>
    Tensor forward(Tensor tokens, Tensor? keyPaddingMask, SegmentMemory? memory);
}
