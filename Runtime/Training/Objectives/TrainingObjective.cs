using TorchSharp;
using XformerDsl.Modules;
using XformerDsl.Specs;
using static TorchSharp.torch;

namespace XformerDsl.Training;

/// <summary>
/// What a model is trained to predict, chosen by <see cref="Trainer"/> from the model's declaration: a closed family of
/// <see cref="NextTokenObjective"/> (causal decoders), <see cref="MaskedTokenObjective"/> (encoders with a masked-language-model
/// head), <see cref="ClassificationObjective"/> (encoders with a classification head) and
/// <see cref="SequenceToSequenceObjective"/> (encoder–decoders). Each is immutable, with pure loss functions; the trainer's
/// one loop (AdamW, schedule, clipping, evaluation, checkpoints and resume) serves them all. A run's objective is stored in
/// its checkpoint, and a resumed run must have the same one.
/// </summary>
public abstract record TrainingObjective
{
    private protected TrainingObjective() { }

    /// <summary>Cross-entropy labels equal to this take no part in a loss (PyTorch's default <c>ignore_index</c>).</summary>
    public const long IgnoredLabel = -100;

    /// <summary>
    /// The declaration of <paramref name="model"/>: <see cref="IDeclaredModel.Declaration"/>, or the generated static
    /// <c>Spec</c> of its class; null for a hand-written module that has neither.
    /// </summary>
    public static ModelSpec? DeclarationOf(object model) => model switch
    {
        IDeclaredModel declared => declared.Declaration,
        nn.Module module => SpecJson.SpecOf(module),
        _ => null,
    };

    /// <summary>
    /// The objective for training <paramref name="model"/> on a token stream: next-token prediction for a causal decoder
    /// (and for a module with no declaration), masked-token prediction for an encoder with a masked-language-model head.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The model is declared as something a token stream cannot train: a bidirectional encoder with a language-model head
    /// (next-token prediction would teach it to copy the token it can already see), a classifier, or an encoder–decoder.
    /// The message names what to declare or which data to train it on.
    /// </exception>
    public static TrainingObjective ForTokenStream(object model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var spec = DeclarationOf(model);
        if (spec is null)
            return NextTokenObjective.Instance;
        if (spec.Encoder is not null)
            throw new ArgumentException(EncoderDecoderNeedsPairs(spec), nameof(model));
        switch (spec.Head)
        {
            case MaskedLanguageModelHeadSpec head:
                return new MaskedTokenObjective(head.MaskToken);
            case ClassificationHeadSpec head:
                throw new ArgumentException(
                    $"{spec.Name} declares [ClassificationHead(Classes = {head.Classes})]: it predicts one label per sequence, logits [batch, {head.Classes}], not the tokens of a stream. " +
                    $"Train it on labelled sequences: Trainer.Train(model, IReadOnlyList<{nameof(LabelledSequence)}> train, IReadOnlyList<{nameof(LabelledSequence)}> validation, options, …).",
                    nameof(model));
            case { } head:
                throw new ArgumentException(
                    $"{spec.Name} has the head of [{head.AttributeName}], {head.Output(spec).Replace("<c>", "").Replace("</c>", "")}: it has no token predictions to train on a token stream. " +
                    "Train the model it belongs to, or declare [MaskedLanguageModelHead] or Causal = true.",
                    nameof(model));
        }
        if (!spec.Causal)
            throw new ArgumentException(
                $"{spec.Name} is a bidirectional encoder (Causal = false) with a language-model head: every position sees the whole sequence, the next token included, " +
                "so next-token training would teach it to copy that token and give a meaningless model. " +
                "Declare [MaskedLanguageModelHead] to train it as a masked language model on this token stream, " +
                $"[ClassificationHead(Classes = n)] to train it on labelled sequences (Trainer.Train with {nameof(LabelledSequence)} data), " +
                "or Causal = true to train it as a decoder language model.",
                nameof(model));
        return NextTokenObjective.Instance;
    }

    /// <summary>The objective for training <paramref name="model"/> on labelled sequences: its classification head.</summary>
    /// <exception cref="ArgumentException">The model is not declared with a classification head; the message says what it is and how to train it.</exception>
    public static ClassificationObjective ForLabelledSequences(object model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var spec = DeclarationOf(model);
        if (spec?.Head is ClassificationHeadSpec head && spec.Encoder is null)
            return new ClassificationObjective(head.Classes);
        string name = spec?.Name ?? model.GetType().Name;
        string what = spec is null ? "a module with no declaration (no IDeclaredModel, no generated Spec), so its output is not known to be one label per sequence"
            : spec.Encoder is not null ? "an encoder–decoder"
            : spec.Head is MaskedLanguageModelHeadSpec ? "a masked language model ([MaskedLanguageModelHead])"
            : spec.Causal ? "a causal language model" : "a bidirectional encoder with a language-model head";
        throw new ArgumentException(
            $"Labelled sequences train a classifier, but {name} is {what}. Declare [ClassificationHead(Classes = n)] on a bidirectional encoder (Causal = false) to classify sequences" +
            (spec?.Encoder is not null ? $", or train this model on {nameof(SequencePair)} data." : ", or train this model on a token stream."),
            nameof(model));
    }

    /// <summary>The objective for training <paramref name="model"/> on sequence pairs: teacher-forced cross-entropy of an encoder–decoder.</summary>
    /// <exception cref="ArgumentException">The model is not an encoder–decoder (not declared with an encoder, or not an <see cref="ISequenceToSequenceModel"/>).</exception>
    public static SequenceToSequenceObjective ForSequencePairs(object model, SpecialTokens tokens)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        var spec = DeclarationOf(model);
        if (spec?.Encoder is not null && model is ISequenceToSequenceModel)
            return new SequenceToSequenceObjective(tokens);
        string name = spec?.Name ?? model.GetType().Name;
        string what = spec is null ? "a module with no declaration"
            : spec.Encoder is not null ? $"declared with an encoder but does not implement {nameof(ISequenceToSequenceModel)} (forward(source, target, sourcePaddingMask, targetPaddingMask))"
            : spec.Head is ClassificationHeadSpec ? "a classifier (train it on LabelledSequence data)"
            : spec.Head is MaskedLanguageModelHeadSpec ? "a masked language model (train it on a token stream)"
            : spec.Causal ? "a decoder language model (train it on a token stream)" : "a bidirectional encoder";
        throw new ArgumentException(
            $"Sequence pairs train an encoder–decoder (a model declared with an encoder, implementing {nameof(ISequenceToSequenceModel)}), but {name} is {what}.",
            nameof(model));
    }

    internal static string EncoderDecoderNeedsPairs(ModelSpec spec) =>
        $"{spec.Name} is an encoder–decoder (declared with an encoder): it maps a source sequence to a target sequence rather than continuing one token stream. " +
        $"Train it on pairs: Trainer.Train(model, IReadOnlyList<{nameof(SequencePair)}> train, IReadOnlyList<{nameof(SequencePair)}> validation, new {nameof(SpecialTokens)}(Bos, Eos, Pad), options, …).";

    /// <summary>Mean cross-entropy of <paramref name="logits"/> <c>[n, classes]</c> against labels <c>[n]</c>, ignoring <see cref="IgnoredLabel"/>.</summary>
    private protected static Tensor CrossEntropy(Tensor logits, Tensor labels) =>
        torch.nn.functional.cross_entropy(logits, labels, ignore_index: IgnoredLabel);
}

/// <summary>
/// Next-token prediction, for causal decoders (and any <c>nn.Module&lt;Tensor, Tensor&gt;</c> with no declaration): windows of
/// a token stream, each position's label the token after it, mean cross-entropy over every position.
/// </summary>
public sealed record NextTokenObjective : TrainingObjective
{
    /// <summary>The one instance (the objective has no settings).</summary>
    public static readonly NextTokenObjective Instance = new();

    private NextTokenObjective() { }

    /// <summary>
    /// Mean next-token cross-entropy (nats per token) of <paramref name="logits"/> <c>[batch, seq, vocab]</c> against
    /// <paramref name="targets"/> <c>[batch, seq]</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not match; the message shows both.</exception>
    public static Tensor Loss(Tensor logits, Tensor targets)
    {
        if (logits.dim() != 3 || targets.dim() != 2 || logits.shape[0] != targets.shape[0] || logits.shape[1] != targets.shape[1])
            throw new ArgumentException($"Expected logits [batch, seq, vocab] and targets [batch, seq]; got [{string.Join(", ", logits.shape)}] and [{string.Join(", ", targets.shape)}].");
        return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), targets.reshape(-1));
    }
}
