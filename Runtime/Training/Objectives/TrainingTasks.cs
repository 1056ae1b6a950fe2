using System.Runtime.InteropServices;
using TorchSharp;
using XformerDsl.Modules;
using static TorchSharp.torch;

namespace XformerDsl.Training;

/// <summary>One validation pass: the mean loss and, for a classifier, the accuracy.</summary>
internal readonly record struct ValidationResult(double Loss, double? Accuracy);

/// <summary>
/// An objective bound to its model and data: what the trainer's one loop asks of it. The loop owns the optimizer, the
/// schedule, clipping, evaluation cadence, the observer and checkpoints; a task owns the batches and the loss.
/// </summary>
internal interface ITrainingTask
{
    /// <summary>The objective (stored in checkpoints; a resumed run must have the same one).</summary>
    TrainingObjective Objective { get; }

    /// <summary>What the data is counted in, for messages: "training tokens", "labelled sequences".</summary>
    string DataNoun { get; }

    /// <summary>Size of the training data, in <see cref="DataNoun"/>.</summary>
    long DataCount { get; }

    /// <summary>Checksum of the training data, so a resumed run refuses other data.</summary>
    string DataChecksum();

    /// <summary>The training sampler's position (see <see cref="BatchSampler.Position"/>).</summary>
    long Position { get; }

    /// <summary>Moves the fresh training sampler to a saved position.</summary>
    void Seek(long position);

    /// <summary>Whether there is validation data.</summary>
    bool HasValidation { get; }

    /// <summary>The loss of the next training batch (with gradients, in the caller's dispose scope) and the tokens it holds.</summary>
    (Tensor Loss, long Tokens) NextLoss(int step);

    /// <summary>A validation pass, in evaluation mode without gradients; the model's mode is restored.</summary>
    ValidationResult Validate();
}

internal static class TaskHelpers
{
    /// <summary>Runs <paramref name="pass"/> in evaluation mode without gradients, restoring the model's mode.</summary>
    public static T Evaluating<T>(nn.Module model, Func<T> pass)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = torch.no_grad();
            return pass();
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>The validation batches' example indices: the first <see cref="TrainingOptions.EvaluationBatches"/> batches, in order.</summary>
    public static int[][] ValidationBatches(int count, TrainingOptions options)
    {
        int take = (int)Math.Min(count, (long)options.EvaluationBatches * options.BatchSize);
        return Enumerable.Range(0, take).Chunk(options.BatchSize).ToArray();
    }

    /// <summary>Checksum of a dataset flattened to int64s.</summary>
    public static string Checksum(IEnumerable<long> values) =>
        Checkpoint.ChecksumOfBytes(MemoryMarshal.AsBytes(values.ToArray().AsSpan()));
}

/// <summary>Windows of a token stream: next-token prediction, or masked-token prediction for a masked language model.</summary>
internal sealed class TokenStreamTask : ITrainingTask
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly ReadOnlyMemory<long> _train, _validation;
    private readonly TrainingOptions _options;
    private readonly BatchSampler _sampler;
    private readonly System.Collections.Immutable.ImmutableArray<int[]> _windows;
    private readonly long _vocab;
    private readonly Distillation? _distillation;

    public TokenStreamTask(nn.Module<Tensor, Tensor> model, TrainingObjective objective, ReadOnlyMemory<long> train, ReadOnlyMemory<long> validation, TrainingOptions options, Distillation? distillation = null)
    {
        _model = model;
        _distillation = distillation;
        if (distillation is not null)
            CheckTeacher(model, objective, distillation.Teacher);
        Objective = objective;
        _train = train;
        _validation = validation;
        _options = options;
        if (objective is MaskedTokenObjective masked)
        {
            _vocab = TrainingObjective.DeclarationOf(model)?.Vocab ?? throw new ArgumentException("A masked-token objective needs a declared model (its Vocab).", nameof(model));
            masked.Validate(_vocab);
        }
        _sampler = new BatchSampler(train, options.BatchSize, options.SequenceLength, options.Seed);
        _windows = Trainer.ValidationWindows(validation, options);
    }

    public TrainingObjective Objective { get; }

    public string DataNoun => "training tokens";

    public long DataCount => _train.Length;

    public string DataChecksum() => Checkpoint.ChecksumOfBytes(MemoryMarshal.AsBytes(_train.Span));

    public long Position => _sampler.Position;

    public void Seek(long position) => _sampler.Seek(position);

    public bool HasValidation => !_windows.IsEmpty;

    public (Tensor Loss, long Tokens) NextLoss(int step)
    {
        var batch = _sampler.Next();
        long tokens = batch.Inputs.numel();
        if (Objective is MaskedTokenObjective masked)
        {
            var corrupted = masked.Corrupt(batch.Inputs, null, _vocab, _options.Seed, step);
            return (MaskedTokenObjective.Loss(_model.forward(corrupted.Inputs), corrupted.Labels), tokens);
        }
        // A weight of 0 is plain training: the teacher need not run.
        if (_distillation is { Weight: > 0 } distillation)
            return (distillation.Loss(_model.forward(batch.Inputs), distillation.TeacherLogits(batch.Inputs), batch.Targets), tokens);
        return (NextTokenObjective.Loss(_model.forward(batch.Inputs), batch.Targets), tokens);
    }

    // A declared teacher must predict over the student's vocabulary; an undeclared one is checked by shape at the first step.
    private static void CheckTeacher(nn.Module<Tensor, Tensor> model, TrainingObjective objective, nn.Module<Tensor, Tensor> teacher)
    {
        if (ReferenceEquals(model, teacher))
            throw new ArgumentException("The distillation teacher is the model being trained; distil from another (trained) model.", nameof(teacher));
        if (objective is not NextTokenObjective)
            throw new ArgumentException($"Distillation teaches next-token prediction, but this model trains on {objective}; train it without a teacher.", nameof(model));
        var (studentSpec, teacherSpec) = (TrainingObjective.DeclarationOf(model), TrainingObjective.DeclarationOf(teacher));
        if (studentSpec is not null && teacherSpec is not null && studentSpec.Vocab != teacherSpec.Vocab)
            throw new ArgumentException(
                $"The teacher {teacherSpec.Name} predicts over {teacherSpec.Vocab} tokens but the student {studentSpec.Name} over {studentSpec.Vocab}: " +
                "distillation compares the two distributions token by token, so both need the same vocabulary.", nameof(teacher));
    }

    public ValidationResult Validate()
    {
        if (Objective is not MaskedTokenObjective masked)
            return new(Trainer.ValidationLoss(_model, _validation.Span, _windows, _options.SequenceLength), null);
        long seed = unchecked(_options.Seed * 31L + 17);   // the validation windows' seed: masks unlike any training step's
        return new(TaskHelpers.Evaluating(_model, () =>
        {
            double sum = 0;
            for (int i = 0; i < _windows.Length; i++)
            {
                using var scope = NewDisposeScope();
                var batch = BatchSampler.FromOffsets(_validation.Span, _windows[i], _options.SequenceLength);
                var corrupted = masked.Corrupt(batch.Inputs, null, _vocab, seed, i);
                sum += MaskedTokenObjective.Loss(_model.forward(corrupted.Inputs), corrupted.Labels).item<float>();
            }
            return sum / _windows.Length;
        }), null);
    }
}

/// <summary>Labelled sequences of different lengths, padded per batch: classification.</summary>
internal sealed class LabelledTask : ITrainingTask
{
    private readonly nn.Module _module;
    private readonly ISequenceModel _model;
    private readonly ClassificationObjective _objective;
    private readonly IReadOnlyList<LabelledSequence> _train, _validation;
    private readonly ExampleSampler _sampler;
    private readonly int[][] _validationBatches;
    private readonly int _maxLength;

    public LabelledTask(nn.Module module, ClassificationObjective objective, IReadOnlyList<LabelledSequence> train, IReadOnlyList<LabelledSequence>? validation, TrainingOptions options)
    {
        _module = module;
        _model = module as ISequenceModel ?? throw new ArgumentException(
            $"{module.GetType().Name} is declared as a classifier but does not implement {nameof(ISequenceModel)} (forward(tokens, keyPaddingMask)), which training on padded batches needs.", nameof(module));
        _objective = objective;
        _train = train;
        _validation = validation ?? [];
        _maxLength = _model.Declaration.MaxLength;
        _sampler = new ExampleSampler(train.Count, options.BatchSize, options.Seed);
        _validationBatches = TaskHelpers.ValidationBatches(_validation.Count, options);
    }

    public TrainingObjective Objective => _objective;

    public string DataNoun => "labelled sequences";

    public long DataCount => _train.Count;

    public string DataChecksum() => TaskHelpers.Checksum(_train.SelectMany(e => e.Tokens.Prepend(e.Tokens.Length).Append(e.Label)));

    public long Position => _sampler.Position;

    public void Seek(long position) => _sampler.Seek(position);

    public bool HasValidation => _validationBatches.Length > 0;

    public (Tensor Loss, long Tokens) NextLoss(int step)
    {
        var batch = _objective.Batch(_train, _sampler.NextIndices(), _maxLength);
        return (_objective.Loss(_model.forward(batch.Tokens, batch.PaddingMask), batch.Labels), batch.RealTokens);
    }

    public ValidationResult Validate() => TaskHelpers.Evaluating(_module, () =>
    {
        double sum = 0;
        long correct = 0, count = 0;
        foreach (var indices in _validationBatches)
        {
            using var scope = NewDisposeScope();
            var batch = _objective.Batch(_validation, indices, _maxLength);
            var logits = _model.forward(batch.Tokens, batch.PaddingMask);
            sum += _objective.Loss(logits, batch.Labels).item<float>() * indices.Length;
            correct += _objective.Correct(logits, batch.Labels);
            count += indices.Length;
        }
        return new ValidationResult(sum / count, (double)correct / count);
    });
}

/// <summary>Sequence pairs, padded per batch: teacher-forced sequence-to-sequence training.</summary>
internal sealed class PairTask : ITrainingTask
{
    private readonly nn.Module _module;
    private readonly ISequenceToSequenceModel _model;
    private readonly SequenceToSequenceObjective _objective;
    private readonly IReadOnlyList<SequencePair> _train, _validation;
    private readonly ExampleSampler _sampler;
    private readonly int[][] _validationBatches;
    private readonly int _sourceMaxLength, _targetMaxLength;

    public PairTask(nn.Module module, SequenceToSequenceObjective objective, IReadOnlyList<SequencePair> train, IReadOnlyList<SequencePair>? validation, TrainingOptions options)
    {
        _module = module;
        _model = (ISequenceToSequenceModel)module;
        _objective = objective;
        var spec = _model.Declaration;
        objective.Tokens.Validate(spec.Vocab);
        if (objective.Tokens.Pad >= spec.Encoder!.Vocab)
            throw new ArgumentException($"{nameof(SpecialTokens)}.{nameof(SpecialTokens.Pad)} = {objective.Tokens.Pad} is out of range: sources are padded with it, and the source vocabulary is [0, {spec.Encoder.Vocab}).", nameof(objective));
        _train = train;
        _validation = validation ?? [];
        _sourceMaxLength = spec.Encoder.MaxLength;
        _targetMaxLength = spec.MaxLength;
        _sampler = new ExampleSampler(train.Count, options.BatchSize, options.Seed);
        _validationBatches = TaskHelpers.ValidationBatches(_validation.Count, options);
    }

    public TrainingObjective Objective => _objective;

    public string DataNoun => "sequence pairs";

    public long DataCount => _train.Count;

    public string DataChecksum() => TaskHelpers.Checksum(_train.SelectMany(p =>
        p.Source.Prepend(p.Source.Length).Append(p.Target.Length).Concat(p.Target)));

    public long Position => _sampler.Position;

    public void Seek(long position) => _sampler.Seek(position);

    public bool HasValidation => _validationBatches.Length > 0;

    public (Tensor Loss, long Tokens) NextLoss(int step)
    {
        var batch = _objective.Batch(_train, _sampler.NextIndices(), _sourceMaxLength, _targetMaxLength);
        var logits = _model.forward(batch.Source, batch.DecoderInput, batch.SourceMask, batch.TargetMask);
        return (SequenceToSequenceObjective.Loss(logits, batch.Labels), batch.RealTokens);
    }

    public ValidationResult Validate() => TaskHelpers.Evaluating(_module, () =>
    {
        double sum = 0;
        long labels = 0;
        foreach (var indices in _validationBatches)
        {
            using var scope = NewDisposeScope();
            var batch = _objective.Batch(_validation, indices, _sourceMaxLength, _targetMaxLength);
            var logits = _model.forward(batch.Source, batch.DecoderInput, batch.SourceMask, batch.TargetMask);
            long count = batch.TargetMask.sum().item<long>();
            sum += SequenceToSequenceObjective.Loss(logits, batch.Labels).item<float>() * count;
            labels += count;
        }
        return new ValidationResult(sum / labels, null);
    });
}
