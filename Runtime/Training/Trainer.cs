using System.Collections.Immutable;
using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using XformerDsl.Modules;
using static TorchSharp.torch;

namespace XformerDsl.Training;

/// <summary>
/// Trains a model with AdamW, linear warm-up then cosine decay, and gradient clipping, measuring a validation loss as it
/// goes, on the objective its declaration calls for (<see cref="TrainingObjective"/>): a language model — any
/// <c>nn.Module&lt;Tensor, Tensor&gt;</c> from int64 token ids <c>[batch, seq]</c> to logits <c>[batch, seq, vocab]</c> — on
/// next-token cross-entropy over a token stream, a masked language model on masked tokens of the same stream, a classifier
/// on labelled sequences, an encoder–decoder on sequence pairs. One loop serves every objective.
/// </summary>
public static class Trainer
{
    private const double SmoothingFactor = 0.1;   // loss and step-time moving averages: about the last 20 steps

    /// <summary>
    /// Trains <paramref name="model"/> in place and shows progress on the console (see <see cref="ProgressDisplay"/>).
    /// </summary>
    /// <param name="model">The language model; trained in place, left in training mode.</param>
    /// <param name="trainTokens">The training token stream.</param>
    /// <param name="validationTokens">The validation token stream; with fewer than <c>SequenceLength + 1</c> tokens no validation loss is measured.</param>
    /// <param name="options">Hyper-parameters and limits.</param>
    /// <param name="display">How to show progress.</param>
    /// <param name="checkpoints">Where to save resumable checkpoints, how often, and whether to continue from one; null saves none.</param>
    /// <param name="distillation">
    /// Null, or a teacher with the model's vocabulary to distil from: each step's loss becomes the cross-entropy plus the
    /// weighted KL divergence from the teacher's softened next-token distribution (<see cref="Distillation"/>). Validation
    /// losses stay plain cross-entropy, so runs with and without a teacher compare. The teacher is not part of a checkpoint:
    /// resume a distilled run with the same teacher.
    /// </param>
    public static TrainingReport Train(nn.Module<Tensor, Tensor> model, ReadOnlyMemory<long> trainTokens, ReadOnlyMemory<long> validationTokens, TrainingOptions options, ProgressDisplay display = ProgressDisplay.Auto, CheckpointOptions? checkpoints = null, Distillation? distillation = null) =>
        TrainingConsole.Run(display, options.LogInterval, observer => Train(model, trainTokens, validationTokens, options, observer, checkpoints, distillation));

    /// <summary>Trains <paramref name="model"/> in place, reporting progress to <paramref name="observer"/>.</summary>
    /// <inheritdoc cref="Train(nn.Module{Tensor, Tensor}, ReadOnlyMemory{long}, ReadOnlyMemory{long}, TrainingOptions, ProgressDisplay, CheckpointOptions?, Distillation?)"/>
    /// <remarks>
    /// The objective follows from the model's declaration (<see cref="TrainingObjective.ForTokenStream"/>): next-token
    /// prediction for a causal decoder and for a module with no declaration, masked-token prediction
    /// (<see cref="MaskedTokenObjective"/>) for an encoder with a masked-language-model head.
    /// With <paramref name="checkpoints"/>, the run saves the weights, the optimizer state and everything else it needs to
    /// continue (<see cref="ResumeState"/>) every <see cref="CheckpointOptions.Interval"/> steps and at the end; with
    /// <see cref="CheckpointOptions.Resume"/> and a checkpoint at <see cref="CheckpointOptions.Path"/>, it continues from
    /// that checkpoint, taking the same steps (the same batches, dropout masks and learning rates) the uninterrupted run would have.
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// An option is out of range, the training text is shorter than one window, the teacher's vocabulary is not the
    /// model's or the model is a masked language model or segment-recurrent (distillation is next-token over sampled windows only), or the model is declared as something a
    /// token stream cannot train (a bidirectional encoder without a masked-language-model head, a classifier, an
    /// encoder–decoder); the message says what to declare or which data to give.
    /// </exception>
    /// <exception cref="InvalidOperationException">The loss stopped being finite (the learning rate is too high for this model).</exception>
    /// <exception cref="InvalidDataException">The checkpoint to resume from does not fit: another model, damaged files, other training data or options.</exception>
    public static TrainingReport Train(nn.Module<Tensor, Tensor> model, ReadOnlyMemory<long> trainTokens, ReadOnlyMemory<long> validationTokens, TrainingOptions options, ITrainingObserver observer, CheckpointOptions? checkpoints = null, Distillation? distillation = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(observer);
        var objective = TrainingObjective.ForTokenStream(model);
        options.Validate();
        distillation?.Validate();
        // A segment-recurrent model (Transformer-XL) reads the stream in order, carrying its memory; others sample windows.
        bool inSegments = model is ISegmentRecurrentModel && objective is NextTokenObjective;
        if (inSegments && distillation is not null)
            throw new ArgumentException(
                $"{model.GetType().Name} is segment-recurrent: it trains on consecutive segments with its memory, which a distillation " +
                "teacher has no part of, and distilling it is not supported yet. Train it without a Distillation.", nameof(distillation));
        return Run(model, () => inSegments
            ? new SegmentStreamTask((ISegmentRecurrentModel)model, trainTokens, validationTokens, options)
            : new TokenStreamTask(model, objective, trainTokens, validationTokens, options, distillation), options, observer, checkpoints);
    }

    /// <summary>
    /// Trains a classifier (a model declared with a classification head, implementing <see cref="ISequenceModel"/>) in place on
    /// labelled sequences of different lengths, padded per batch, and shows progress on the console.
    /// </summary>
    /// <param name="model">The classifier; trained in place, left in training mode.</param>
    /// <param name="train">The training examples, drawn in epochs of random order.</param>
    /// <param name="validation">The validation examples (the first <see cref="TrainingOptions.EvaluationBatches"/> batches are used); null or empty for none.</param>
    /// <param name="options">Hyper-parameters and limits (<see cref="TrainingOptions.SequenceLength"/> is not used: each batch is as long as its longest sequence).</param>
    /// <param name="display">How to show progress.</param>
    /// <param name="checkpoints">Where to save resumable checkpoints, how often, and whether to continue from one; null saves none.</param>
    public static TrainingReport Train(nn.Module model, IReadOnlyList<LabelledSequence> train, IReadOnlyList<LabelledSequence>? validation, TrainingOptions options, ProgressDisplay display = ProgressDisplay.Auto, CheckpointOptions? checkpoints = null) =>
        TrainingConsole.Run(display, options.LogInterval, observer => Train(model, train, validation, options, observer, checkpoints));

    /// <summary>Trains a classifier in place on labelled sequences, reporting progress (and validation accuracy) to <paramref name="observer"/>.</summary>
    /// <inheritdoc cref="Train(nn.Module, IReadOnlyList{LabelledSequence}, IReadOnlyList{LabelledSequence}?, TrainingOptions, ProgressDisplay, CheckpointOptions?)"/>
    /// <exception cref="ArgumentException">An option is out of range, an example is empty, too long or wrongly labelled, or the model is not declared as a classifier.</exception>
    /// <exception cref="InvalidOperationException">The loss stopped being finite.</exception>
    /// <exception cref="InvalidDataException">The checkpoint to resume from does not fit.</exception>
    public static TrainingReport Train(nn.Module model, IReadOnlyList<LabelledSequence> train, IReadOnlyList<LabelledSequence>? validation, TrainingOptions options, ITrainingObserver observer, CheckpointOptions? checkpoints = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(observer);
        var objective = TrainingObjective.ForLabelledSequences(model);
        options.Validate();
        return Run(model, () => new LabelledTask(model, objective, train, validation, options), options, observer, checkpoints);
    }

    /// <summary>
    /// Trains an encoder–decoder (<see cref="ISequenceToSequenceModel"/>) in place on sequence pairs with teacher-forced
    /// cross-entropy (decoder input BOS + target, labels target + EOS, padding ignored), and shows progress on the console.
    /// </summary>
    /// <param name="model">The encoder–decoder; trained in place, left in training mode.</param>
    /// <param name="train">The training pairs, drawn in epochs of random order.</param>
    /// <param name="validation">The validation pairs (the first <see cref="TrainingOptions.EvaluationBatches"/> batches are used); null or empty for none.</param>
    /// <param name="tokens">The BOS, EOS and PAD ids.</param>
    /// <param name="options">Hyper-parameters and limits (<see cref="TrainingOptions.SequenceLength"/> is not used).</param>
    /// <param name="display">How to show progress.</param>
    /// <param name="checkpoints">Where to save resumable checkpoints, how often, and whether to continue from one; null saves none.</param>
    public static TrainingReport Train(nn.Module model, IReadOnlyList<SequencePair> train, IReadOnlyList<SequencePair>? validation, SpecialTokens tokens, TrainingOptions options, ProgressDisplay display = ProgressDisplay.Auto, CheckpointOptions? checkpoints = null) =>
        TrainingConsole.Run(display, options.LogInterval, observer => Train(model, train, validation, tokens, options, observer, checkpoints));

    /// <summary>Trains an encoder–decoder in place on sequence pairs, reporting progress to <paramref name="observer"/>.</summary>
    /// <inheritdoc cref="Train(nn.Module, IReadOnlyList{SequencePair}, IReadOnlyList{SequencePair}?, SpecialTokens, TrainingOptions, ProgressDisplay, CheckpointOptions?)"/>
    /// <exception cref="ArgumentException">An option or special token is out of range, a pair is empty or too long, or the model is not an encoder–decoder.</exception>
    /// <exception cref="InvalidOperationException">The loss stopped being finite.</exception>
    /// <exception cref="InvalidDataException">The checkpoint to resume from does not fit.</exception>
    public static TrainingReport Train(nn.Module model, IReadOnlyList<SequencePair> train, IReadOnlyList<SequencePair>? validation, SpecialTokens tokens, TrainingOptions options, ITrainingObserver observer, CheckpointOptions? checkpoints = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(observer);
        var objective = TrainingObjective.ForSequencePairs(model, tokens);
        options.Validate();
        return Run(model, () => new PairTask(model, objective, train, validation, options), options, observer, checkpoints);
    }

    /// <summary>The one training loop: AdamW, schedule, clipping, evaluation, observer, checkpoints and resume, for any objective.</summary>
    private static TrainingReport Run(nn.Module model, Func<ITrainingTask> createTask, TrainingOptions options, ITrainingObserver observer, CheckpointOptions? checkpoints)
    {
        torch.set_num_threads(options.Threads ?? Environment.ProcessorCount);
        torch.manual_seed(options.Seed);

        var task = createTask();
        var (decayed, notDecayed) = WeightDecayPolicy.Split(model);
        var parameters = decayed.Concat(notDecayed).Select(p => p.Parameter).ToArray();
        if (parameters.Length == 0)
            throw new ArgumentException("The model has no trainable parameters.", nameof(model));
        var groups = new List<AdamW.ParamGroup>();
        if (decayed.Count > 0)
            groups.Add(new AdamW.ParamGroup(decayed.Select(p => p.Parameter), options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay));
        if (notDecayed.Count > 0)
            groups.Add(new AdamW.ParamGroup(notDecayed.Select(p => p.Parameter), options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, weight_decay: 0));
        using var optimizer = torch.optim.AdamW(groups, options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay);

        var clock = Stopwatch.StartNew();
        var elapsedBefore = TimeSpan.Zero;   // wall time of the run before it was resumed
        TimeSpan Elapsed() => elapsedBefore + clock.Elapsed;
        var evaluations = ImmutableArray.CreateBuilder<EvaluationPoint>();
        var lastLosses = new Queue<double>();
        double stepSeconds = 0, warmupSeconds = 0, smoothedStepSeconds = 0, smoothedTokens = 0, lastEvaluationSeconds = 0;
        double initialLoss = double.NaN, sinceEvaluationSum = 0;
        int sinceEvaluationCount = 0, step = 0, timedSteps = 0, stepsThisSession = 0;
        long tokensTrained = 0, timedTokens = 0, warmupTokens = 0;
        double? validationLoss = null, initialValidationLoss = null, validationAccuracy = null;
        var latest = new TrainingProgress(0, options.MaxSteps, 0, double.NaN, double.NaN, null, 0, double.NaN, 0, TimeSpan.Zero, null);
        string objective = task.Objective.ToString();

        if (checkpoints is { Interval: < 0 })
            throw new ArgumentException($"{nameof(CheckpointOptions)}.{nameof(CheckpointOptions.Interval)} = {checkpoints.Interval} is out of range: must not be negative (0 saves only at the end).", nameof(checkpoints));
        string? checkpointPath = checkpoints is null ? null : Path.GetFullPath(checkpoints.Path);
        if (checkpointPath is not null)
            Checkpoint.FormatOf(checkpointPath);   // refuse a bad extension before training, not after it
        string? trainChecksum = null;
        string TrainChecksum() => trainChecksum ??= task.DataChecksum();

        if (checkpoints is { Resume: true } && File.Exists(Checkpoint.MetadataPath(checkpointPath!)))
        {
            var metadata = Checkpoint.Load(model, checkpointPath!);
            var metadataPath = Checkpoint.MetadataPath(checkpointPath!);
            var resume = metadata.Resume ?? throw new InvalidDataException(
                $"The checkpoint '{checkpointPath}' holds weights but no training state (it was not saved by a training run), so there is nothing to resume. " +
                "Load its weights with Checkpoint.Load and train without Resume, or resume from a checkpoint a run saved.");
            CheckResumable(metadata.Training, options, checkpointPath!);
            // Checkpoints from before objectives were recorded were all next-token runs.
            string savedObjective = resume.Objective ?? NextTokenObjective.Instance.ToString();
            if (savedObjective != objective)
                throw new InvalidDataException(
                    $"The checkpoint '{checkpointPath}' was saved by a run with the objective {savedObjective}, but this run has {objective}. Resume with the same model declaration and data, or start afresh.");
            if (resume.TrainTokens != task.DataCount || resume.TrainTokensChecksum != TrainChecksum())
                throw new InvalidDataException(
                    $"The checkpoint '{checkpointPath}' was saved by a run on {resume.TrainTokens:N0} {task.DataNoun} (checksum {resume.TrainTokensChecksum}), " +
                    $"but this run has {task.DataCount:N0} (checksum {TrainChecksum()}); its data position means nothing on other data. Resume with the same training data, or start afresh.");
            var optimizerPath = Path.Combine(Path.GetDirectoryName(checkpointPath)!, resume.OptimizerFile);
            if (!File.Exists(optimizerPath))
                throw new FileNotFoundException($"The optimizer state '{optimizerPath}' that '{metadataPath}' refers to is missing; copy it beside the weights, or start afresh.", optimizerPath);
            Checkpoint.Verify(optimizerPath, resume.OptimizerBytes, resume.OptimizerChecksum, metadataPath, "optimizer state");
            LoadOptimizer(optimizer, optimizerPath);
            task.Seek(resume.SamplerPosition);
            using (var state = torch.tensor(Convert.FromBase64String(resume.TorchRandomState), ScalarType.Byte))
                torch.random.set_rng_state(state);
            step = metadata.Step;
            elapsedBefore = resume.Elapsed;
            stepSeconds = resume.StepSeconds;
            timedSteps = resume.TimedSteps;
            // Checkpoints from before token counts were recorded were next-token runs: batch × sequence length per step.
            tokensTrained = resume.TokensTrained ?? (long)step * options.BatchSize * options.SequenceLength;
            timedTokens = resume.TimedTokens ?? (long)timedSteps * options.BatchSize * options.SequenceLength;
            lastEvaluationSeconds = resume.LastEvaluationSeconds;
            initialLoss = resume.InitialLoss ?? double.NaN;
            foreach (var loss in resume.LastLosses) lastLosses.Enqueue(loss);
            sinceEvaluationSum = resume.SinceEvaluationSum;
            sinceEvaluationCount = resume.SinceEvaluationCount;
            validationLoss = resume.ValidationLoss;
            initialValidationLoss = resume.InitialValidationLoss;
            evaluations.AddRange(resume.Evaluations);
            validationAccuracy = evaluations.Count > 0 ? evaluations[^1].ValidationAccuracy : null;
            latest = latest with { Step = step, ValidationLoss = validationLoss, ValidationAccuracy = validationAccuracy, Elapsed = Elapsed() };
        }

        void SaveCheckpoint()
        {
            var directory = Path.GetDirectoryName(checkpointPath)!;
            Directory.CreateDirectory(directory);
            var optimizerFile = Path.GetFileNameWithoutExtension(checkpointPath) + ".optimizer.pt";
            using var randomState = torch.random.get_rng_state();
            var resume = new ResumeState
            {
                OptimizerFile = optimizerFile,
                OptimizerBytes = 0,        // completed once the file is written
                OptimizerChecksum = "",
                SamplerPosition = task.Position,
                TorchRandomState = Convert.ToBase64String(randomState.data<byte>().ToArray()),
                TrainTokens = task.DataCount,
                TrainTokensChecksum = TrainChecksum(),
                Objective = objective,
                TokensTrained = tokensTrained,
                TimedTokens = timedTokens,
                Elapsed = Elapsed(),
                StepSeconds = stepSeconds,
                TimedSteps = timedSteps,
                LastEvaluationSeconds = lastEvaluationSeconds,
                InitialLoss = double.IsFinite(initialLoss) ? initialLoss : null,
                LastLosses = [.. lastLosses],
                SinceEvaluationSum = sinceEvaluationSum,
                SinceEvaluationCount = sinceEvaluationCount,
                ValidationLoss = validationLoss,
                InitialValidationLoss = initialValidationLoss,
                Evaluations = evaluations.ToImmutable(),
            };
            Checkpoint.SaveWith(model, checkpointPath!, CheckpointMetadata.For(model, Report(StopReason.MaxSteps), options) with { Resume = resume },
                companion: (Path.Combine(directory, optimizerFile), stream => optimizer.save_py(stream, leaveOpen: true),
                    (metadata, bytes, checksum) => metadata with { Resume = metadata.Resume! with { OptimizerBytes = bytes, OptimizerChecksum = checksum } }));
        }

        void Evaluate()
        {
            if (!task.HasValidation) return;
            var started = clock.Elapsed;
            var result = task.Validate();
            validationLoss = result.Loss;
            validationAccuracy = result.Accuracy;
            lastEvaluationSeconds = (clock.Elapsed - started).TotalSeconds;
            initialValidationLoss ??= validationLoss;
            double? trainLoss = sinceEvaluationCount > 0 ? sinceEvaluationSum / sinceEvaluationCount : null;
            evaluations.Add(new EvaluationPoint(step, result.Loss, trainLoss, Elapsed(), result.Accuracy));
            sinceEvaluationSum = 0;
            sinceEvaluationCount = 0;
            latest = latest with { ValidationLoss = validationLoss, ValidationAccuracy = validationAccuracy, Elapsed = Elapsed() };
        }

        TrainingReport Report(StopReason stoppedBy) => new(
            Steps: step,
            TokensTrained: tokensTrained,
            InitialLoss: initialLoss,
            FinalTrainLoss: lastLosses.Count > 0 ? lastLosses.Average() : double.NaN,
            InitialValidationLoss: initialValidationLoss,
            FinalValidationLoss: validationLoss,
            TokensPerSecond: timedSteps > 0 ? timedTokens / stepSeconds : warmupSeconds > 0 ? warmupTokens / warmupSeconds : 0,
            Elapsed: Elapsed(),
            StoppedBy: stoppedBy,
            Evaluations: evaluations.ToImmutable(),
            FinalValidationAccuracy: validationAccuracy);

        if (step == 0)
        {
            Evaluate();
            if (task.HasValidation)
                observer.OnEvaluation(latest);
        }

        model.train();
        StopReason stoppedBy;
        while (true)
        {
            if (step >= options.MaxSteps) { stoppedBy = StopReason.MaxSteps; break; }
            // Stop before the next step and the final validation pass would overrun the budget.
            if (options.TimeBudget is { } budget && stepsThisSession > 0
                && Elapsed().TotalSeconds + smoothedStepSeconds + lastEvaluationSeconds >= budget.TotalSeconds)
            { stoppedBy = StopReason.TimeBudget; break; }

            double progress = LearningRateSchedule.Progress(step, options.MaxSteps, Elapsed(), options.TimeBudget);
            double learningRate = LearningRateSchedule.At(step, progress, options.LearningRate, options.WarmupSteps, options.MinLearningRateFraction);
            foreach (var group in optimizer.ParamGroups)
                group.LearningRate = learningRate;

            var stepStarted = clock.Elapsed;
            double loss, gradientNorm;
            long stepTokens;
            using (NewDisposeScope())
            {
                var (lossTensor, tokens) = task.NextLoss(step);
                stepTokens = tokens;
                optimizer.zero_grad();
                // Auxiliary losses the forward pass recorded (routing attention's commitment loss, a compressive memory's
                // reconstruction loss) are trained on, not reported.
                AuxiliaryLosses.AddTo(lossTensor, model).backward();
                gradientNorm = options.GradientClipNorm > 0 ? torch.nn.utils.clip_grad_norm_(parameters, options.GradientClipNorm) : double.NaN;
                optimizer.step();
                loss = lossTensor.item<float>();
            }
            double seconds = (clock.Elapsed - stepStarted).TotalSeconds;
            step++;
            stepsThisSession++;
            tokensTrained += stepTokens;
            if (!double.IsFinite(loss))
                throw new InvalidOperationException($"The training loss became {loss} at step {step} (learning rate {learningRate:G3}). Lower the learning rate or raise the warm-up.");

            if (step == 1) initialLoss = loss;
            // The first step of a session carries the JIT and allocator warm-up: the throughput leaves it out (unless it is
            // the only step timed), and the second step resets the step-time average.
            if (stepsThisSession == 1)
            {
                warmupSeconds = seconds;
                warmupTokens = stepTokens;
            }
            else
            {
                stepSeconds += seconds;
                timedSteps++;
                timedTokens += stepTokens;
            }
            smoothedStepSeconds = stepsThisSession <= 2 ? seconds : smoothedStepSeconds + SmoothingFactor * (seconds - smoothedStepSeconds);
            smoothedTokens = stepsThisSession <= 2 ? stepTokens : smoothedTokens + SmoothingFactor * (stepTokens - smoothedTokens);
            sinceEvaluationSum += loss;
            sinceEvaluationCount++;
            lastLosses.Enqueue(loss);
            if (lastLosses.Count > TrainingReport.FinalLossWindow) lastLosses.Dequeue();
            double recentLoss = lastLosses.Average();

            bool evaluationDue = step % options.EvaluationInterval == 0 || step == options.MaxSteps;
            if (evaluationDue) Evaluate();
            if (checkpointPath is not null && checkpoints!.Interval > 0 && step % checkpoints.Interval == 0 && step < options.MaxSteps)
                SaveCheckpoint();

            latest = new TrainingProgress(
                step, options.MaxSteps,
                LearningRateSchedule.Progress(step, options.MaxSteps, Elapsed(), options.TimeBudget),
                loss, recentLoss, validationLoss, learningRate, gradientNorm,
                smoothedTokens / smoothedStepSeconds, Elapsed(),
                stepsThisSession >= 3 ? Remaining(step, options, Elapsed(), smoothedStepSeconds, lastEvaluationSeconds) : null,
                validationAccuracy);
            observer.OnStep(latest);
            if (evaluationDue && task.HasValidation)
                observer.OnEvaluation(latest);
        }

        // A run stopped by its time budget has not had its final validation pass yet.
        if (evaluations.Count == 0 || evaluations[^1].Step != step)
        {
            Evaluate();
            if (task.HasValidation)
                observer.OnEvaluation(latest with { Fraction = 1, Remaining = TimeSpan.Zero });
        }
        if (checkpointPath is not null)
            SaveCheckpoint();

        return Report(stoppedBy);
    }

    /// <summary>Loads an optimizer state saved with PyBridge's <c>save_py</c>, wrapping failures in a message naming the file.</summary>
    private static void LoadOptimizer(OptimizerHelper optimizer, string path)
    {
        try
        {
            optimizer.load_py(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"Could not load the optimizer state '{path}': {e.GetType().Name}: {e.Message} It is damaged or from another optimizer or model.", e);
        }
    }

    /// <summary>The options that fix the sequence of steps must be the checkpoint's; limits, threads and logging may change.</summary>
    private static void CheckResumable(TrainingOptions? saved, TrainingOptions options, string path)
    {
        if (saved is null) return;
        var comparable = saved with
        {
            MaxSteps = options.MaxSteps,
            TimeBudget = options.TimeBudget,
            Threads = options.Threads,
            LogInterval = options.LogInterval,
            EvaluationInterval = options.EvaluationInterval,
            EvaluationBatches = options.EvaluationBatches,
        };
        if (comparable == options) return;
        foreach (var property in typeof(TrainingOptions).GetProperties())
        {
            var before = property.GetValue(comparable);
            var now = property.GetValue(options);
            if (!Equals(before, now))
                throw new InvalidDataException(
                    $"The checkpoint '{path}' was saved by a run with {property.Name} = {before}, but this run has {property.Name} = {now}. " +
                    $"Resume with the saved options (only {nameof(TrainingOptions.MaxSteps)}, {nameof(TrainingOptions.TimeBudget)}, {nameof(TrainingOptions.Threads)}, " +
                    $"{nameof(TrainingOptions.LogInterval)} and the evaluation settings may change), or start afresh.");
        }
    }

    /// <summary>
    /// Mean next-token cross-entropy (nats per token) of <paramref name="logits"/> <c>[batch, seq, vocab]</c>
    /// against <paramref name="targets"/> <c>[batch, seq]</c>: <see cref="NextTokenObjective.Loss"/>.
    /// </summary>
    public static Tensor LanguageModelLoss(Tensor logits, Tensor targets) => NextTokenObjective.Loss(logits, targets);

    /// <summary>
    /// Mean next-token cross-entropy of <paramref name="model"/> over the windows of <paramref name="tokens"/> starting at
    /// <paramref name="windows"/> (one batch per array), in evaluation mode without gradients; the model's mode is restored.
    /// </summary>
    public static double ValidationLoss(nn.Module<Tensor, Tensor> model, ReadOnlySpan<long> tokens, ImmutableArray<int[]> windows, int sequenceLength)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = torch.no_grad();
            double sum = 0;
            foreach (var offsets in windows)
            {
                using var scope = NewDisposeScope();
                var batch = BatchSampler.FromOffsets(tokens, offsets, sequenceLength);
                sum += LanguageModelLoss(model.forward(batch.Inputs), batch.Targets).item<float>();
            }
            return sum / windows.Length;
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>
    /// The fixed validation windows: <see cref="TrainingOptions.EvaluationBatches"/> batches drawn once with a seed derived
    /// from <see cref="TrainingOptions.Seed"/>; empty when there is too little validation text for one window.
    /// </summary>
    public static ImmutableArray<int[]> ValidationWindows(ReadOnlyMemory<long> validationTokens, TrainingOptions options)
    {
        if (options.EvaluationBatches == 0 || validationTokens.Length < options.SequenceLength + 1)
            return [];
        var sampler = new BatchSampler(validationTokens, options.BatchSize, options.SequenceLength, unchecked(options.Seed * 31 + 17));
        return [.. Enumerable.Range(0, options.EvaluationBatches).Select(_ => sampler.NextOffsets())];
    }

    /// <summary>Wall time until the step limit or the time budget is reached, whichever comes first.</summary>
    private static TimeSpan Remaining(int step, TrainingOptions options, TimeSpan elapsed, double secondsPerStep, double secondsPerEvaluation)
    {
        int stepsLeft = options.MaxSteps - step;
        int evaluationsLeft = options.MaxSteps / options.EvaluationInterval - step / options.EvaluationInterval
            + (options.MaxSteps % options.EvaluationInterval == 0 ? 0 : 1);
        var bySteps = TimeSpan.FromSeconds(stepsLeft * secondsPerStep + evaluationsLeft * secondsPerEvaluation);
        return options.TimeBudget is { } budget && budget - elapsed < bySteps ? budget - elapsed : bySteps;
    }
}
