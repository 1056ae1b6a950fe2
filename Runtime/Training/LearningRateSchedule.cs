namespace XformerDsl.Training;

/// <summary>Linear warm-up followed by cosine decay: the schedule <see cref="Trainer"/> follows.</summary>
public static class LearningRateSchedule
{
    /// <summary>
    /// The learning rate for the step with zero-based index <paramref name="step"/> when a fraction
    /// <paramref name="progress"/> ∈ [0, 1] of the run is done: <c>peak · warmup · decay</c>, where
    /// <c>warmup = min(1, (step + 1) / warmupSteps)</c> and <c>decay</c> falls along a half cosine from 1 at
    /// progress 0 to <paramref name="minFraction"/> at progress 1.
    /// </summary>
    /// <remarks>
    /// Progress rather than a step count drives the decay, so a run stopped by a time budget still anneals:
    /// the trainer passes <c>max(step / maxSteps, elapsed / budget)</c>.
    /// </remarks>
    public static double At(int step, double progress, double peak, int warmupSteps, double minFraction)
    {
        double warmup = warmupSteps <= 0 ? 1.0 : Math.Min(1.0, (step + 1.0) / warmupSteps);
        double p = Math.Clamp(progress, 0.0, 1.0);
        double decay = minFraction + (1.0 - minFraction) * 0.5 * (1.0 + Math.Cos(Math.PI * p));
        return peak * warmup * decay;
    }

    /// <summary>The fraction of a run done: the larger of the steps done and the time used, each as a fraction of its limit.</summary>
    public static double Progress(int stepsDone, int maxSteps, TimeSpan elapsed, TimeSpan? timeBudget)
    {
        double byStep = (double)stepsDone / maxSteps;
        double byTime = timeBudget is { } budget ? elapsed / budget : 0.0;
        return Math.Clamp(Math.Max(byStep, byTime), 0.0, 1.0);
    }
}
