using System.Collections.Immutable;
using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
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
    public static TrainingReport Train(nn.Module<Tensor, Tensor> model, ReadOnlyMemory<long> trainTokens, ReadOnlyMemory<long> validationTokens, TrainingOptions options, ProgressDisplay display = ProgressDisplay.Auto) =>
        TrainingConsole.Run(display, options.LogInterval, observer => Train(model, trainTokens, validationTokens, options, observer));

    /// <summary>Trains <paramref name="model"/> in place, reporting progress to <paramref name="observer"/>.</summary>
    /// <inheritdoc cref="Train(nn.Module{Tensor, Tensor}, ReadOnlyMemory{long}, ReadOnlyMemory{long}, TrainingOptions, ProgressDisplay)"/>
    /// <exception cref="ArgumentException">An option is out of range, or the training text is shorter than one window.</exception>
    /// <exception cref="InvalidOperationException">The loss stopped being finite (the learning rate is too high for this model).</exception>
    public static TrainingReport Train(nn.Module<Tensor, Tensor> model, ReadOnlyMemory<long> trainTokens, ReadOnlyMemory<long> validationTokens, TrainingOptions options, ITrainingObserver observer)
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
        var evaluations = ImmutableArray.CreateBuilder<EvaluationPoint>();
        var lastLosses = new Queue<double>();
        double stepSeconds = 0, smoothedStepSeconds = 0, lastEvaluationSeconds = 0;
        double smoothedLoss = 0, initialLoss = double.NaN, sinceEvaluationSum = 0;
        int sinceEvaluationCount = 0, step = 0;
        double? validationLoss = null, initialValidationLoss = null;
        var latest = new TrainingProgress(0, options.MaxSteps, 0, double.NaN, double.NaN, null, 0, double.NaN, 0, TimeSpan.Zero, null);

        void Evaluate()
        {
            if (validationWindows.IsEmpty) return;
            var started = clock.Elapsed;
            validationLoss = ValidationLoss(model, validationTokens.Span, validationWindows, options.SequenceLength);
            lastEvaluationSeconds = (clock.Elapsed - started).TotalSeconds;
            initialValidationLoss ??= validationLoss;
            double? trainLoss = sinceEvaluationCount > 0 ? sinceEvaluationSum / sinceEvaluationCount : null;
            evaluations.Add(new EvaluationPoint(step, validationLoss.Value, trainLoss, clock.Elapsed));
            sinceEvaluationSum = 0;
            sinceEvaluationCount = 0;
            latest = latest with { ValidationLoss = validationLoss, Elapsed = clock.Elapsed };
        }

        Evaluate();
        if (!validationWindows.IsEmpty)
            observer.OnEvaluation(latest);

        model.train();
        StopReason stoppedBy;
        while (true)
        {
            if (step >= options.MaxSteps) { stoppedBy = StopReason.MaxSteps; break; }
            // Stop before the next step and the final validation pass would overrun the budget.
            if (options.TimeBudget is { } budget && step > 0
                && clock.Elapsed.TotalSeconds + smoothedStepSeconds + lastEvaluationSeconds >= budget.TotalSeconds)
            { stoppedBy = StopReason.TimeBudget; break; }

            double progress = LearningRateSchedule.Progress(step, options.MaxSteps, clock.Elapsed, options.TimeBudget);
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
            if (!double.IsFinite(loss))
                throw new InvalidOperationException($"The training loss became {loss} at step {step} (learning rate {learningRate:G3}). Lower the learning rate or raise the warm-up.");

            if (step == 1) initialLoss = loss;
            stepSeconds += seconds;
            // The first step carries the JIT and allocator warm-up; let the second one reset the step-time average.
            smoothedStepSeconds = step <= 2 ? seconds : smoothedStepSeconds + SmoothingFactor * (seconds - smoothedStepSeconds);
            smoothedLoss += SmoothingFactor * (loss - smoothedLoss);
            double debiasedLoss = smoothedLoss / (1 - Math.Pow(1 - SmoothingFactor, step));
            sinceEvaluationSum += loss;
            sinceEvaluationCount++;
            lastLosses.Enqueue(loss);
            if (lastLosses.Count > TrainingReport.FinalLossWindow) lastLosses.Dequeue();

            bool evaluationDue = step % options.EvaluationInterval == 0 || step == options.MaxSteps;
            if (evaluationDue) Evaluate();

            latest = new TrainingProgress(
                step, options.MaxSteps,
                LearningRateSchedule.Progress(step, options.MaxSteps, clock.Elapsed, options.TimeBudget),
                loss, debiasedLoss, validationLoss, learningRate, gradientNorm,
                tokensPerStep / smoothedStepSeconds, clock.Elapsed,
                step >= 3 ? Remaining(step, options, clock.Elapsed, smoothedStepSeconds, lastEvaluationSeconds) : null);
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

        return new TrainingReport(
            Steps: step,
            TokensTrained: step * tokensPerStep,
            InitialLoss: initialLoss,
            FinalTrainLoss: lastLosses.Count > 0 ? lastLosses.Average() : double.NaN,
            InitialValidationLoss: initialValidationLoss,
            FinalValidationLoss: validationLoss,
            TokensPerSecond: stepSeconds > 0 ? step * tokensPerStep / stepSeconds : 0,
            Elapsed: clock.Elapsed,
            StoppedBy: stoppedBy,
            Evaluations: evaluations.ToImmutable());
    }

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
