namespace XformerDsl.Training;

/// <summary>A snapshot of a training run, given to an <see cref="ITrainingObserver"/> after each step and each validation pass.</summary>
/// <param name="Step">Optimizer steps taken.</param>
/// <param name="MaxSteps">The step limit.</param>
/// <param name="Fraction">Fraction of the run done, in [0, 1]: the larger of steps and time used, each over its limit.</param>
/// <param name="Loss">The last step's training loss.</param>
/// <param name="SmoothedLoss">
/// The mean training loss of the last <see cref="TrainingReport.FinalLossWindow"/> steps (fewer at the start): what the log
/// and the live table show, and after the last step exactly <see cref="TrainingReport.FinalTrainLoss"/>.
/// </param>
/// <param name="ValidationLoss">The latest validation loss, if any pass has run.</param>
/// <param name="LearningRate">The learning rate of the last step.</param>
/// <param name="GradientNorm">The global gradient L2 norm of the last step, before clipping (NaN when clipping is off).</param>
/// <param name="TokensPerSecond">Recent training throughput (tokens per second of step time).</param>
/// <param name="Elapsed">Wall time since training started.</param>
/// <param name="Remaining">Estimated wall time until a limit is reached; null until a few steps have been timed.</param>
/// <param name="ValidationAccuracy">For a classifier, the latest validation accuracy; null otherwise.</param>
public sealed record TrainingProgress(
    int Step,
    int MaxSteps,
    double Fraction,
    double Loss,
    double SmoothedLoss,
    double? ValidationLoss,
    double LearningRate,
    double GradientNorm,
    double TokensPerSecond,
    TimeSpan Elapsed,
    TimeSpan? Remaining,
    double? ValidationAccuracy = null);

/// <summary>Receives progress from <see cref="Trainer"/>; called on the training thread, so keep it cheap.</summary>
public interface ITrainingObserver
{
    /// <summary>After every optimizer step.</summary>
    void OnStep(TrainingProgress progress);

    /// <summary>After every validation pass (<see cref="TrainingProgress.ValidationLoss"/> is then the fresh value).</summary>
    void OnEvaluation(TrainingProgress progress);
}

/// <summary>An observer that ignores everything.</summary>
public sealed class SilentTrainingObserver : ITrainingObserver
{
    /// <summary>The one instance.</summary>
    public static readonly SilentTrainingObserver Instance = new();

    private SilentTrainingObserver() { }

    /// <inheritdoc/>
    public void OnStep(TrainingProgress progress) { }

    /// <inheritdoc/>
    public void OnEvaluation(TrainingProgress progress) { }
}
