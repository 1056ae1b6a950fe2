using System.Collections.Immutable;

namespace XformerDsl.Training;

/// <summary>Why training stopped.</summary>
public enum StopReason
{
    /// <summary><see cref="TrainingOptions.MaxSteps"/> steps were taken.</summary>
    MaxSteps,

    /// <summary><see cref="TrainingOptions.TimeBudget"/> ran out.</summary>
    TimeBudget,
}

/// <summary>One validation pass.</summary>
/// <param name="Step">Optimizer steps taken before the pass.</param>
/// <param name="ValidationLoss">Mean cross-entropy (nats per token) over the validation windows.</param>
/// <param name="TrainLoss">Mean training loss over the steps since the previous pass; null for the pass before the first step.</param>
/// <param name="Elapsed">Wall time since training started.</param>
/// <param name="ValidationAccuracy">For a classifier, the fraction of validation examples classified correctly; null otherwise.</param>
public sealed record EvaluationPoint(int Step, double ValidationLoss, double? TrainLoss, TimeSpan Elapsed, double? ValidationAccuracy = null);

/// <summary>
/// What a training run did. Losses are mean cross-entropies in nats per token (ln 256 ≈ 5.55 is a uniform guess over bytes).
/// </summary>
/// <param name="Steps">Optimizer steps taken.</param>
/// <param name="TokensTrained">
/// Tokens in all training batches (for a token stream steps × batch × sequence length; for datasets the real, unpadded tokens).
/// </param>
/// <param name="InitialLoss">Loss on the first training batch, before any update.</param>
/// <param name="FinalTrainLoss">
/// Mean training loss over the last <see cref="TrainingReport.FinalLossWindow"/> steps (fewer if the run was shorter): the
/// <see cref="TrainingProgress.SmoothedLoss"/> of the last step, so the summary agrees with the last logged line.
/// </param>
/// <param name="InitialValidationLoss">Validation loss before the first step; null without validation text.</param>
/// <param name="FinalValidationLoss">Validation loss after the last step; null without validation text.</param>
/// <param name="TokensPerSecond">
/// Training tokens per second of step time: validation passes, checkpoints and the first (warm-up) step of each session are
/// excluded, the warm-up step only when it is not the only one.
/// </param>
/// <param name="Elapsed">Wall time of the whole run, validation passes included.</param>
/// <param name="StoppedBy">Which limit ended the run.</param>
/// <param name="Evaluations">Every validation pass, in order.</param>
/// <param name="FinalValidationAccuracy">For a classifier, the validation accuracy after the last step; null otherwise.</param>
public sealed record TrainingReport(
    int Steps,
    long TokensTrained,
    double InitialLoss,
    double FinalTrainLoss,
    double? InitialValidationLoss,
    double? FinalValidationLoss,
    double TokensPerSecond,
    TimeSpan Elapsed,
    StopReason StoppedBy,
    ImmutableArray<EvaluationPoint> Evaluations,
    double? FinalValidationAccuracy = null)
{
    /// <summary>How many of the last steps <see cref="FinalTrainLoss"/> averages over.</summary>
    public const int FinalLossWindow = 20;
}
