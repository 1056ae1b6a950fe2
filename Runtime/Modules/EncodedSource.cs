using static TorchSharp.torch;

namespace XformerDsl.Modules;

/// <summary>
/// An encoder–decoder's encoded source (<see cref="IEncoderDecoderModel.Encode"/>): the encoder's output and the source
/// padding mask. Owns its tensors (detached from any dispose scope); dispose it when the decoder state has been created
/// from it.
/// </summary>
public sealed class EncodedSource : IDisposable
{
    /// <summary>Takes ownership of <paramref name="output"/> and keeps its own copy of <paramref name="paddingMask"/> (the caller's stays the caller's).</summary>
    /// <param name="output">The encoder's output, <c>[batch, sourceSeq, dim]</c>.</param>
    /// <param name="paddingMask">Bool <c>[batch, sourceSeq]</c>, true for real tokens; null means no padding.</param>
    /// <exception cref="ArgumentException">The output is not 3-D, or the mask is not bool <c>[batch, sourceSeq]</c>.</exception>
    public EncodedSource(Tensor output, Tensor? paddingMask)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (output.dim() != 3)
            throw new ArgumentException($"EncodedSource: the encoder output must be [batch, sourceSeq, dim]; got shape {ModelInputs.Shape(output)}.", nameof(output));
        if (paddingMask is not null && (paddingMask.dtype != ScalarType.Bool || paddingMask.dim() != 2
            || paddingMask.shape[0] != output.shape[0] || paddingMask.shape[1] != output.shape[1]))
            throw new ArgumentException(
                $"EncodedSource: the padding mask must be bool [batch, sourceSeq] = [{output.shape[0]}, {output.shape[1]}] like the output {ModelInputs.Shape(output)}; got {paddingMask.dtype} of shape {ModelInputs.Shape(paddingMask)}.",
                nameof(paddingMask));
        Output = output.DetachFromDisposeScope();
        PaddingMask = paddingMask?.clone().DetachFromDisposeScope();
    }

    /// <summary>The encoder's output, <c>[batch, sourceSeq, dim]</c>.</summary>
    public Tensor Output { get; }

    /// <summary>Bool <c>[batch, sourceSeq]</c>, true for real tokens; null when the source has no padding.</summary>
    public Tensor? PaddingMask { get; }

    /// <summary>Sources in the batch.</summary>
    public long Batch => Output.shape[0];

    /// <summary>Source length (padded), the keys of cross-attention.</summary>
    public long SourceLength => Output.shape[1];

    /// <summary>
    /// Each source repeated <paramref name="times"/> times in a row (<c>[s0, s0, s1, s1, …]</c>): the batch of
    /// <c>batch · times</c> that beam search decodes, one row per beam. A new object; this one is unchanged.
    /// </summary>
    /// <param name="times">Copies per source (the beam width); at least 1.</param>
    public EncodedSource RepeatInterleave(int times)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(times);
        using var scope = NewDisposeScope();
        return new EncodedSource(Output.repeat_interleave(times, dim: 0), PaddingMask?.repeat_interleave(times, dim: 0));
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        Output.Dispose();
        PaddingMask?.Dispose();
    }
}
