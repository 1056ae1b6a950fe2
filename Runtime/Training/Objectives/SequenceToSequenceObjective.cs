using TorchSharp;
using XformerDsl.Modules;
using static TorchSharp.torch;

namespace XformerDsl.Training;

/// <summary>The special token ids of sequence-to-sequence training and generation, in the target vocabulary (the source is padded with <see cref="Pad"/> too).</summary>
/// <param name="Bos">Begin of sequence: the decoder's first input.</param>
/// <param name="Eos">End of sequence: the decoder's last label, where generation stops.</param>
/// <param name="Pad">Padding, after the end of shorter sequences in a batch; never a label.</param>
public sealed record SpecialTokens(int Bos, int Eos, int Pad)
{
    /// <summary>Throws <see cref="ArgumentException"/> unless every id lies in [0, <paramref name="vocab"/>).</summary>
    public void Validate(long vocab, string side = "target")
    {
        foreach (var (name, id) in new[] { (nameof(Bos), Bos), (nameof(Eos), Eos), (nameof(Pad), Pad) })
            if (id < 0 || id >= vocab)
                throw new ArgumentException($"{nameof(SpecialTokens)}.{name} = {id} is out of range: the {side} vocabulary is [0, {vocab}).", name);
    }
}

/// <summary>A source sequence and the target sequence it maps to: the data an encoder–decoder is trained on.</summary>
/// <param name="Source">Source ids (1 to the encoder's MaxLength), without special tokens.</param>
/// <param name="Target">Target ids (0 to the decoder's MaxLength − 1), without BOS and EOS: the objective adds them.</param>
public sealed record SequencePair(long[] Source, long[] Target);

/// <summary>
/// A padded batch of sequence pairs for teacher forcing: <see cref="Source"/> <c>[batch, sourceSeq]</c>, the decoder input
/// BOS + target (<see cref="DecoderInput"/>, <c>[batch, targetSeq]</c>) and the <see cref="Labels"/> target + EOS (the same
/// shape, <see cref="TrainingObjective.IgnoredLabel"/> at padding), with both padding masks (true for real tokens).
/// </summary>
/// <param name="Source">Source ids, padded with <see cref="SpecialTokens.Pad"/>.</param>
/// <param name="SourceMask">True for real source tokens.</param>
/// <param name="DecoderInput">BOS followed by the target, padded with <see cref="SpecialTokens.Pad"/>.</param>
/// <param name="TargetMask">True for real decoder inputs.</param>
/// <param name="Labels">The target followed by EOS; <see cref="TrainingObjective.IgnoredLabel"/> at padding.</param>
/// <param name="RealTokens">Real source tokens plus real decoder inputs.</param>
public sealed record PairBatch(Tensor Source, Tensor SourceMask, Tensor DecoderInput, Tensor TargetMask, Tensor Labels, long RealTokens) : IDisposable
{
    /// <summary>Disposes the tensors.</summary>
    public void Dispose()
    {
        Source.Dispose();
        SourceMask.Dispose();
        DecoderInput.Dispose();
        TargetMask.Dispose();
        Labels.Dispose();
    }
}

/// <summary>
/// Teacher-forced cross-entropy for encoder–decoders: the decoder reads BOS + target and is trained to predict target + EOS at
/// every position; padding takes no part in the loss.
/// </summary>
/// <param name="Tokens">The BOS, EOS and PAD ids.</param>
public sealed record SequenceToSequenceObjective(SpecialTokens Tokens) : TrainingObjective
{
    /// <summary>
    /// Pads the pairs at <paramref name="indices"/> into one batch, checking their lengths against the encoder's
    /// <paramref name="sourceMaxLength"/> and the decoder's <paramref name="targetMaxLength"/> (the target plus BOS must fit).
    /// </summary>
    /// <exception cref="ArgumentException">A pair is empty on the source side or too long; the message names it and the limit.</exception>
    public PairBatch Batch(IReadOnlyList<SequencePair> pairs, ReadOnlySpan<int> indices, int sourceMaxLength, int targetMaxLength)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        int sourceLongest = 0, targetLongest = 0;
        foreach (int i in indices)
        {
            var pair = pairs[i] ?? throw new ArgumentException($"Sequence pair {i} is null.", nameof(pairs));
            int sourceLength = pair.Source?.Length ?? 0, targetLength = pair.Target?.Length ?? -1;
            if (sourceLength == 0 || sourceLength > sourceMaxLength)
                throw new ArgumentException($"Sequence pair {i} has a source of {sourceLength} tokens, but the encoder takes 1 to MaxLength = {sourceMaxLength}; drop empty sources and cut or split longer ones.", nameof(pairs));
            if (targetLength < 0 || targetLength + 1 > targetMaxLength)
                throw new ArgumentException(
                    $"Sequence pair {i} has a target of {Math.Max(targetLength, 0)} tokens, but the decoder takes BOS + target, at most MaxLength = {targetMaxLength}, so targets of at most {targetMaxLength - 1} tokens" +
                    (targetLength < 0 ? " (the target is null; use an empty array)." : "; cut or split longer ones."), nameof(pairs));
            sourceLongest = Math.Max(sourceLongest, sourceLength);
            targetLongest = Math.Max(targetLongest, targetLength + 1);
        }
        int batch = indices.Length;
        var source = new long[batch * sourceLongest];
        var sourceMask = new bool[source.Length];
        var input = new long[batch * targetLongest];
        var targetMask = new bool[input.Length];
        var labels = new long[input.Length];
        Array.Fill(source, Tokens.Pad);
        Array.Fill(input, Tokens.Pad);
        Array.Fill(labels, IgnoredLabel);
        long real = 0;
        for (int b = 0; b < batch; b++)
        {
            var pair = pairs[indices[b]];
            pair.Source.CopyTo(source.AsSpan(b * sourceLongest));
            sourceMask.AsSpan(b * sourceLongest, pair.Source.Length).Fill(true);
            int row = b * targetLongest, length = pair.Target.Length + 1;
            input[row] = Tokens.Bos;
            pair.Target.CopyTo(input.AsSpan(row + 1));
            pair.Target.CopyTo(labels.AsSpan(row));
            labels[row + length - 1] = Tokens.Eos;
            targetMask.AsSpan(row, length).Fill(true);
            real += pair.Source.Length + length;
        }
        long[] sourceShape = [batch, sourceLongest], targetShape = [batch, targetLongest];
        return new PairBatch(torch.tensor(source, sourceShape), torch.tensor(sourceMask, sourceShape),
            torch.tensor(input, targetShape), torch.tensor(targetMask, targetShape), torch.tensor(labels, targetShape), real);
    }

    /// <summary>
    /// Mean cross-entropy of <paramref name="logits"/> <c>[batch, targetSeq, targetVocab]</c> against
    /// <paramref name="labels"/> <c>[batch, targetSeq]</c> over the real positions.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not match; the message shows both.</exception>
    public static Tensor Loss(Tensor logits, Tensor labels)
    {
        if (logits.dim() != 3 || labels.dim() != 2 || logits.shape[0] != labels.shape[0] || logits.shape[1] != labels.shape[1])
            throw new ArgumentException($"An encoder–decoder's logits must be [batch, targetSeq, targetVocab] for labels [batch, targetSeq] = {ModelInputs.Shape(labels)}; got {ModelInputs.Shape(logits)}.");
        return CrossEntropy(logits.reshape(-1, logits.shape[2]), labels.reshape(-1));
    }
}
