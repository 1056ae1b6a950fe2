using TorchSharp;
using XformerDsl.Modules;
using static TorchSharp.torch;

namespace XformerDsl.Training;

/// <summary>A sequence of token ids with its class label: the data a classifier is trained on.</summary>
/// <param name="Tokens">Token ids (any length from 1 to the model's MaxLength).</param>
/// <param name="Label">The class, in [0, Classes).</param>
public sealed record LabelledSequence(long[] Tokens, int Label);

/// <summary>
/// A padded batch of labelled sequences: <see cref="Tokens"/> int64 <c>[batch, longest]</c> (padding holds 0), the
/// <see cref="PaddingMask"/> (bool, true for real tokens) and the <see cref="Labels"/> int64 <c>[batch]</c>.
/// </summary>
/// <param name="Tokens">Token ids, padded at the end.</param>
/// <param name="PaddingMask">True for real tokens.</param>
/// <param name="Labels">The class of each sequence.</param>
/// <param name="RealTokens">Real (unpadded) tokens in the batch.</param>
public sealed record LabelledBatch(Tensor Tokens, Tensor PaddingMask, Tensor Labels, long RealTokens) : IDisposable
{
    /// <summary>Disposes the tensors.</summary>
    public void Dispose()
    {
        Tokens.Dispose();
        PaddingMask.Dispose();
        Labels.Dispose();
    }
}

/// <summary>
/// Sequence classification, for encoders with a classification head: the model maps a padded batch and its padding mask to
/// logits <c>[batch, classes]</c>; the loss is the mean cross-entropy over the labels, and validation also measures accuracy.
/// </summary>
/// <param name="Classes">The head's number of classes (the declaration's <c>ClassificationHeadSpec.Classes</c>).</param>
public sealed record ClassificationObjective(int Classes) : TrainingObjective
{
    /// <summary>
    /// Pads <paramref name="examples"/> (those at <paramref name="indices"/>) into one batch, checking each against the
    /// model's <paramref name="maxLength"/> and this objective's classes.
    /// </summary>
    /// <exception cref="ArgumentException">An example is empty, longer than <paramref name="maxLength"/>, or its label is out of range; the message names it.</exception>
    public LabelledBatch Batch(IReadOnlyList<LabelledSequence> examples, ReadOnlySpan<int> indices, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(examples);
        int longest = 0;
        foreach (int i in indices)
        {
            var example = examples[i] ?? throw new ArgumentException($"Labelled sequence {i} is null.", nameof(examples));
            if (example.Tokens is null || example.Tokens.Length == 0 || example.Tokens.Length > maxLength)
                throw new ArgumentException(
                    $"Labelled sequence {i} has {example.Tokens?.Length ?? 0} tokens, but the model takes 1 to MaxLength = {maxLength}; drop empty sequences and cut or split longer ones.", nameof(examples));
            if (example.Label < 0 || example.Label >= Classes)
                throw new ArgumentException($"Labelled sequence {i} has label {example.Label}, but the model's classification head has Classes = {Classes} (labels 0 to {Classes - 1}).", nameof(examples));
            longest = Math.Max(longest, example.Tokens.Length);
        }
        var tokens = new long[indices.Length * longest];
        var mask = new bool[tokens.Length];
        var labels = new long[indices.Length];
        long real = 0;
        for (int b = 0; b < indices.Length; b++)
        {
            var example = examples[indices[b]];
            example.Tokens.CopyTo(tokens.AsSpan(b * longest));
            mask.AsSpan(b * longest, example.Tokens.Length).Fill(true);
            labels[b] = example.Label;
            real += example.Tokens.Length;
        }
        long[] shape = [indices.Length, longest];
        return new LabelledBatch(torch.tensor(tokens, shape), torch.tensor(mask, shape), torch.tensor(labels), real);
    }

    /// <summary>Mean cross-entropy of <paramref name="logits"/> <c>[batch, classes]</c> against <paramref name="labels"/> <c>[batch]</c>.</summary>
    /// <exception cref="ArgumentException">The logits are not <c>[batch, Classes]</c>; the message shows the shapes.</exception>
    public Tensor Loss(Tensor logits, Tensor labels)
    {
        CheckLogits(logits, labels);
        return CrossEntropy(logits, labels);
    }

    /// <summary>How many of the batch's predictions (the largest logit) equal <paramref name="labels"/>.</summary>
    public long Correct(Tensor logits, Tensor labels)
    {
        CheckLogits(logits, labels);
        using var scope = NewDisposeScope();
        return logits.argmax(1).eq(labels).sum().item<long>();
    }

    private void CheckLogits(Tensor logits, Tensor labels)
    {
        if (logits.dim() != 2 || labels.dim() != 1 || logits.shape[0] != labels.shape[0] || logits.shape[1] != Classes)
            throw new ArgumentException(
                $"A classifier's logits must be [batch, classes] = [{labels.shape[0]}, {Classes}] for labels {ModelInputs.Shape(labels)}; got {ModelInputs.Shape(logits)}. " +
                "Its forward(tokens, keyPaddingMask) must pool the sequence into one vector of class logits.");
    }
}
