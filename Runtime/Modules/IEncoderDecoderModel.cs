using static TorchSharp.torch;

namespace XformerDsl.Modules;

/// <summary>
/// A generated encoder–decoder (<c>ModelSpec.Encoder</c> non-null), whatever its decoder's attention: a bidirectional encoder
/// over the source and a causal decoder over the target that cross-attends the encoder's output. <see cref="forward"/> is
/// the teacher-forced pass the trainer uses (<c>Trainer.Train</c> with <c>SequencePair</c> data). An encoder–decoder whose
/// decoder can step token by token is also an <see cref="IEncoderDecoderModel"/>, which the generators decode.
/// </summary>
public interface ISequenceToSequenceModel : IDeclaredModel
{
    /// <summary>Teacher-forced: the target logits <c>[batch, targetSeq, targetVocab]</c>.</summary>
    /// <param name="source">Source ids, int64 <c>[batch, sourceSeq]</c>.</param>
    /// <param name="target">Decoder input ids, int64 <c>[batch, targetSeq]</c> (BOS followed by the target).</param>
    /// <param name="sourcePaddingMask">Bool <c>[batch, sourceSeq]</c>, true for real tokens; null means no padding.</param>
    /// <param name="targetPaddingMask">Bool <c>[batch, targetSeq]</c>, true for real tokens; null means no padding.</param>
    Tensor forward(Tensor source, Tensor target, Tensor? sourcePaddingMask, Tensor? targetPaddingMask);
}

/// <summary>
/// A generated encoder–decoder whose decoder steps one token at a time (its self-attention is recurrent: full attention
/// with a key-value cache, causal linear attention): <see cref="Encode"/>, <see cref="CreateDecoderState"/> and
/// <see cref="Step"/> are what greedy decoding and beam search use (<see cref="Generation.Seq2SeqGenerator"/>).
/// <see cref="Step"/> equals <see cref="ISequenceToSequenceModel.forward"/> at each target position.
/// </summary>
public interface IEncoderDecoderModel : ISequenceToSequenceModel
{
    /// <summary>Runs the encoder once: its output <c>[batch, sourceSeq, Dim]</c> and the source padding mask.</summary>
    /// <param name="source">Source ids, int64 <c>[batch, sourceSeq]</c>.</param>
    /// <param name="sourcePaddingMask">Bool <c>[batch, sourceSeq]</c>, true for real tokens; null means no padding.</param>
    EncodedSource Encode(Tensor source, Tensor? sourcePaddingMask);

    /// <summary>
    /// A decoder state for generation from <paramref name="encoded"/>: the decoder's self-attention state at position 0
    /// and, per decoder layer, the cross-attention keys and values computed once from the encoded source.
    /// </summary>
    DecoderState CreateDecoderState(EncodedSource encoded);

    /// <summary>
    /// Feeds one target token per sequence and returns the logits <c>[batch, targetVocab]</c> for the next one. Sequences
    /// whose <paramref name="active"/> entry is false keep their state and position (their logits are meaningless). For
    /// inference: applies no dropout and records no gradients.
    /// </summary>
    /// <param name="state">From <see cref="CreateDecoderState"/>; updated in place.</param>
    /// <param name="tokens">Token ids, <c>[batch]</c>, int64 or int32.</param>
    /// <param name="active">Null (every sequence advances), or bool <c>[batch]</c>.</param>
    Tensor Step(DecoderState state, Tensor tokens, Tensor? active = null);
}
