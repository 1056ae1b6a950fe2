using static TorchSharp.torch;

namespace XformerDsl.Modules;

/// <summary>
/// One vector per sequence from an encoder's vectors <c>[batch, seq, dim]</c>, the pooling of
/// <c>[ClassificationHead]</c>. Padding (false in the mask) never enters the result.
/// </summary>
public static class SequencePooling
{
    /// <summary>
    /// The mean over each sequence's real tokens: <c>[batch, dim]</c>. A sequence with no real token gets zeros.
    /// </summary>
    /// <param name="x">The vectors, <c>[batch, seq, dim]</c>.</param>
    /// <param name="keyPaddingMask">Null (every token is real), or bool <c>[batch, seq]</c>, true for real tokens.</param>
    /// <exception cref="ArgumentException">When the mask's shape is not <c>[batch, seq]</c>.</exception>
    public static Tensor Mean(Tensor x, Tensor? keyPaddingMask)
    {
        if (keyPaddingMask is null)
            return x.mean(new long[] { 1 });
        CheckMask(x, keyPaddingMask);
        var weights = keyPaddingMask.to(x.dtype).unsqueeze(-1);
        // Sum of the real vectors over their count (at least 1, so an all-padding row is 0 / 1 = 0, not NaN).
        return (x * weights).sum(1) / weights.sum(1).clamp_min(1.0);
    }

    /// <summary>
    /// The vector of each sequence's first token (BERT's <c>[CLS]</c>): <c>[batch, dim]</c>. Sequences are expected to
    /// start with a real token; padding belongs at the end.
    /// </summary>
    /// <param name="x">The vectors, <c>[batch, seq, dim]</c>.</param>
    /// <param name="keyPaddingMask">Null, or bool <c>[batch, seq]</c>; a sequence whose first token is padding is refused.</param>
    /// <exception cref="ArgumentException">When the mask's shape is not <c>[batch, seq]</c>, or a sequence starts with padding.</exception>
    public static Tensor First(Tensor x, Tensor? keyPaddingMask)
    {
        if (keyPaddingMask is not null)
        {
            CheckMask(x, keyPaddingMask);
            if (!keyPaddingMask[TensorIndex.Colon, 0].to(ScalarType.Bool).all().item<bool>())
                throw new ArgumentException(
                    "Pooling.First reads each sequence's first token, but keyPaddingMask marks the first token of some sequence as padding " +
                    $"(mask {ModelInputs.Shape(keyPaddingMask)}); pad at the end of sequences, not the start, or declare Pooling = Pooling.Mean.",
                    nameof(keyPaddingMask));
        }
        return x[TensorIndex.Colon, 0];
    }

    /// <summary>
    /// Attention pooling (Set Transformer's PMA with one seed): the seed of <paramref name="pooler"/> attends to each
    /// sequence's real tokens, <c>[batch, dim]</c>. The result does not depend on the order of the real tokens, nor on
    /// the padding; a sequence with no real token gets the pooler's output for an empty set.
    /// </summary>
    /// <param name="pooler">The pooling block, with one seed.</param>
    /// <param name="x">The vectors, <c>[batch, seq, dim]</c>.</param>
    /// <param name="keyPaddingMask">Null (every token is real), or bool <c>[batch, seq]</c>, true for real tokens.</param>
    /// <exception cref="ArgumentException">When the mask's shape is not <c>[batch, seq]</c>, or the pooler has more than one seed.</exception>
    public static Tensor Attention(PoolingByAttention pooler, Tensor x, Tensor? keyPaddingMask)
    {
        if (pooler.SeedCount != 1)
            throw new ArgumentException(
                $"Attention pooling gives one vector per sequence, but the pooler has {pooler.SeedCount} seeds; create it with seedCount: 1.", nameof(pooler));
        if (keyPaddingMask is not null)
            CheckMask(x, keyPaddingMask);
        return pooler.forward(x, keyPaddingMask).squeeze(1);
    }

    private static void CheckMask(Tensor x, Tensor keyPaddingMask)
    {
        if (keyPaddingMask.dim() != 2 || keyPaddingMask.shape[0] != x.shape[0] || keyPaddingMask.shape[1] != x.shape[1])
            throw new ArgumentException(
                $"keyPaddingMask must be [batch, seq] = [{x.shape[0]}, {x.shape[1]}] (true where the token is real), but has shape {ModelInputs.Shape(keyPaddingMask)}.",
                nameof(keyPaddingMask));
    }
}
