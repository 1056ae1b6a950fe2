namespace XformerDsl.Specs
{
    /// <summary>
    /// The source side of an encoder–decoder, <c>[Encoder]</c> with every default resolved. See <see cref="EncoderAttribute"/>.
    /// </summary>
    /// <param name="Vocab">The source vocabulary size.</param>
    /// <param name="Depth">Number of encoder blocks.</param>
    /// <param name="MaxLength">The longest source, in tokens.</param>
    /// <param name="SharedEmbeddings">One token embedding for source and target.</param>
    /// <param name="CrossAttentionHeads">Heads of each decoder layer's cross-attention.</param>
    public sealed record EncoderSpec(int Vocab, int Depth, int MaxLength, bool SharedEmbeddings, int CrossAttentionHeads);

    /// <summary>
    /// What a decoder stack knows of the encoder it attends to (<see cref="ModelSpec.DecoderStack"/>): each of its blocks
    /// has a full cross-attention to the encoder's output.
    /// </summary>
    /// <param name="Heads">Heads of each cross-attention.</param>
    /// <param name="SourceMaxLength">The longest encoder output, in tokens.</param>
    /// <param name="SharedEmbeddings">The decoder's token embedding is the encoder's.</param>
    public sealed record CrossAttentionSpec(int Heads, int SourceMaxLength, bool SharedEmbeddings);
}
