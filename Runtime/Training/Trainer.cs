using System.Collections.Immutable;
using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace XformerDsl.Training;

/// <summary>
/// Trains a language model — any <c>nn.Module&lt;Tensor, Tensor&gt;</c> from int64 token ids <c>[batch, seq]</c> to
/// logits <c>[batch, seq, vocab]</c> — on next-token cross-entropy with AdamW, linear warm-up then cosine decay,
/// and gradient clipping, measuring a validation loss as it goes.
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
    public static TrainingReport Train(nn.Module<Tensor, Tensor> model, ReadOnlyMemory<long> trainTokens, ReadOnlyMemory<long> validationTokens, TrainingOptions options, ProgressDisplay display = ProgressDisplay.Auto, CheckpointOptions? checkpoints = null) =>
        TrainingConsole.Run(display, options.LogInterval, observer => Train(model, trainTokens, validationTokens, options, observer, checkpoints));

    /// <summary>Trains <paramref name="model"/> in place, reporting progress to <paramref name="observer"/>.</summary>
    /// <inheritdoc cref="Train(nn.Module{Tensor, Tensor}, ReadOnlyMemory{long}, ReadOnlyMemory{long}, TrainingOptions, ProgressDisplay, CheckpointOptions?)"/>
    /// <remarks>
    /// With <paramref name="checkpoints"/>, the run saves the weights, the optimizer state and everything else it needs to
    /// continue (<see cref="ResumeState"/>) every <see cref="CheckpointOptions.Interval"/> steps and at the end; with
    /// <see cref="CheckpointOptions.Resume"/> and a checkpoint at <see cref="CheckpointOptions.Path"/>, it continues from
    /// that checkpoint, taking the same steps (the same batches, dropout masks and learning rates) the uninterrupted run would have.
    /// </remarks>
    /// <exception cref="ArgumentException">An option is out of range, or the training text is shorter than one window.</exception>
    /// <exception cref="InvalidOperationException">The loss stopped being finite (the learning rate is too high for this model).</exception>
    /// <exception cref="InvalidDataException">The checkpoint to resume from does not fit: another model, damaged files, other training data or options.</exception>
    public static TrainingReport Train(nn.Module<Tensor, Tensor> model, ReadOnlyMemory<long> trainTokens, ReadOnlyMemory<long> validationTokens, TrainingOptions options, ITrainingObserver observer, CheckpointOptions? checkpoints = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(observer);
        options.Validate();
        torch.set_num_threads(options.Threads ?? Environment.ProcessorCount);
        torch.manual_seed(options.Seed);

        var sampler = new BatchSampler(trainTokens, options.BatchSize, options.SequenceLength, options.Seed);
        var validationWindows = ValidationWindows(validationTokens, options);
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

        long tokensPerStep = (long)options.BatchSize * options.SequenceLength;
        var clock = Stopwatch.StartNew();
        var elapsedBefore = TimeSpan.Zero;   // wall time of the run before it was resumed
        TimeSpan Elapsed() => elapsedBefore + clock.Elapsed;
        var evaluations = ImmutableArray.CreateBuilder<EvaluationPoint>();
        var lastLosses = new Queue<double>();
        double stepSeconds = 0, warmupSeconds = 0, smoothedStepSeconds = 0, lastEvaluationSeconds = 0;
        double initialLoss = double.NaN, sinceEvaluationSum = 0;
        int sinceEvaluationCount = 0, step = 0, timedSteps = 0, stepsThisSession = 0;
        double? validationLoss = null, initialValidationLoss = null;
        var latest = new TrainingProgress(0, options.MaxSteps, 0, double.NaN, double.NaN, null, 0, double.NaN, 0, TimeSpan.Zero, null);

        if (checkpoints is { Interval: < 0 })
            throw new ArgumentException($"{nameof(CheckpointOptions)}.{nameof(CheckpointOptions.Interval)} = {checkpoints.Interval} is out of range: must not be negative (0 saves only at the end).", nameof(checkpoints));
        string? checkpointPath = checkpoints is null ? null : Path.GetFullPath(checkpoints.Path);
        if (checkpointPath is not null)
            Checkpoint.FormatOf(checkpointPath);   // refuse a bad extension before training, not after it
        string? trainChecksum = null;
        string TrainChecksum() => trainChecksum ??= TokensChecksum(trainTokens.Span);

        if (checkpoints is { Resume: true } && File.Exists(Checkpoint.MetadataPath(checkpointPath!)))
        {
            var metadata = Checkpoint.Load(model, checkpointPath!);
            var metadataPath = Checkpoint.MetadataPath(checkpointPath!);
            var resume = metadata.Resume ?? throw new InvalidDataException(
                $"The checkpoint '{checkpointPath}' holds weights but no training state (it was not saved by a training run), so there is nothing to resume. " +
                "Load its weights with Checkpoint.Load and train without Resume, or resume from a checkpoint a run saved.");
            CheckResumable(metadata.Training, options, checkpointPath!);
            if (resume.TrainTokens != trainTokens.Length || resume.TrainTokensChecksum != TrainChecksum())
                throw new InvalidDataException(
                    $"The checkpoint '{checkpointPath}' was saved by a run on {resume.TrainTokens:N0} training tokens (checksum {resume.TrainTokensChecksum}), " +
                    $"but this run has {trainTokens.Length:N0} (checksum {TrainChecksum()}); its data position means nothing on other data. Resume with the same training text, or start afresh.");
            var optimizerPath = Path.Combine(Path.GetDirectoryName(checkpointPath)!, resume.OptimizerFile);
            if (!File.Exists(optimizerPath))
                throw new FileNotFoundException($"The optimizer state '{optimizerPath}' that '{metadataPath}' refers to is missing; copy it beside the weights, or start afresh.", optimizerPath);
            Checkpoint.Verify(optimizerPath, resume.OptimizerBytes, resume.OptimizerChecksum, metadataPath, "optimizer state");
            LoadOptimizer(optimizer, optimizerPath);
            sampler.Seek(resume.SamplerPosition);
            using (var state = torch.tensor(Convert.FromBase64String(resume.TorchRandomState), ScalarType.Byte))
                torch.random.set_rng_state(state);
            step = metadata.Step;
            elapsedBefore = resume.Elapsed;
            stepSeconds = resume.StepSeconds;
            timedSteps = resume.TimedSteps;
            lastEvaluationSeconds = resume.LastEvaluationSeconds;
            initialLoss = resume.InitialLoss ?? double.NaN;
            foreach (var loss in resume.LastLosses) lastLosses.Enqueue(loss);
            sinceEvaluationSum = resume.SinceEvaluationSum;
            sinceEvaluationCount = resume.SinceEvaluationCount;
            validationLoss = resume.ValidationLoss;
            initialValidationLoss = resume.InitialValidationLoss;
            evaluations.AddRange(resume.Evaluations);
            latest = latest with { Step = step, ValidationLoss = validationLoss, Elapsed = Elapsed() };
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
                SamplerPosition = sampler.Position,
                TorchRandomState = Convert.ToBase64String(randomState.data<byte>().ToArray()),
                TrainTokens = trainTokens.Length,
                TrainTokensChecksum = TrainChecksum(),
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
            if (validationWindows.IsEmpty) return;
            var started = clock.Elapsed;
            validationLoss = ValidationLoss(model, validationTokens.Span, validationWindows, options.SequenceLength);
            lastEvaluationSeconds = (clock.Elapsed - started).TotalSeconds;
            initialValidationLoss ??= validationLoss;
            double? trainLoss = sinceEvaluationCount > 0 ? sinceEvaluationSum / sinceEvaluationCount : null;
            evaluations.Add(new EvaluationPoint(step, validationLoss.Value, trainLoss, Elapsed()));
            sinceEvaluationSum = 0;
            sinceEvaluationCount = 0;
            latest = latest with { ValidationLoss = validationLoss, Elapsed = Elapsed() };
        }

        TrainingReport Report(StopReason stoppedBy) => new(
            Steps: step,
            TokensTrained: step * tokensPerStep,
            InitialLoss: initialLoss,
            FinalTrainLoss: lastLosses.Count > 0 ? lastLosses.Average() : double.NaN,
            InitialValidationLoss: initialValidationLoss,
            FinalValidationLoss: validationLoss,
            TokensPerSecond: timedSteps > 0 ? timedSteps * tokensPerStep / stepSeconds : warmupSeconds > 0 ? tokensPerStep / warmupSeconds : 0,
            Elapsed: Elapsed(),
            StoppedBy: stoppedBy,
            Evaluations: evaluations.ToImmutable());

        if (step == 0)
        {
            Evaluate();
            if (!validationWindows.IsEmpty)
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
            using (NewDisposeScope())
            {
                var batch = sampler.Next();
                var logits = model.forward(batch.Inputs);
                var lossTensor = LanguageModelLoss(logits, batch.Targets);
                optimizer.zero_grad();
                lossTensor.backward();
                gradientNorm = options.GradientClipNorm > 0 ? torch.nn.utils.clip_grad_norm_(parameters, options.GradientClipNorm) : double.NaN;
                optimizer.step();
                loss = lossTensor.item<float>();
            }
            double seconds = (clock.Elapsed - stepStarted).TotalSeconds;
            step++;
            stepsThisSession++;
            if (!double.IsFinite(loss))
                throw new InvalidOperationException($"The training loss became {loss} at step {step} (learning rate {learningRate:G3}). Lower the learning rate or raise the warm-up.");

            if (step == 1) initialLoss = loss;
            // The first step of a session carries the JIT and allocator warm-up: the throughput leaves it out (unless it is
            // the only step timed), and the second step resets the step-time average.
            if (stepsThisSession == 1)
                warmupSeconds = seconds;
            else
            {
                stepSeconds += seconds;
                timedSteps++;
            }
            smoothedStepSeconds = stepsThisSession <= 2 ? seconds : smoothedStepSeconds + SmoothingFactor * (seconds - smoothedStepSeconds);
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
                tokensPerStep / smoothedStepSeconds, Elapsed(),
                stepsThisSession >= 3 ? Remaining(step, options, Elapsed(), smoothedStepSeconds, lastEvaluationSeconds) : null);
            observer.OnStep(latest);
            if (evaluationDue && !validationWindows.IsEmpty)
                observer.OnEvaluation(latest);
        }

        // A run stopped by its time budget has not had its final validation pass yet.
        if (evaluations.Count == 0 || evaluations[^1].Step != step)
        {
            Evaluate();
            if (!validationWindows.IsEmpty)
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

    /// <summary>XXH128 of a token stream, in the form of <see cref="Checkpoint.ChecksumOf"/>.</summary>
    private static string TokensChecksum(ReadOnlySpan<long> tokens) =>
        Checkpoint.ChecksumOfBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(tokens));

    /// <summary>
    /// Mean next-token cross-entropy (nats per token) of <paramref name="logits"/> <c>[batch, seq, vocab]</c>
    /// against <paramref name="targets"/> <c>[batch, seq]</c>.
    /// </summary>
    public static Tensor LanguageModelLoss(Tensor logits, Tensor targets)
    {
        if (logits.dim() != 3 || targets.dim() != 2 || logits.shape[0] != targets.shape[0] || logits.shape[1] != targets.shape[1])
            throw new ArgumentException($"Expected logits [batch, seq, vocab] and targets [batch, seq]; got [{string.Join(", ", logits.shape)}] and [{string.Join(", ", targets.shape)}].");
        return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), targets.reshape(-1));
    }

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
