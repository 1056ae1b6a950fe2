using System.Collections.Immutable;

namespace XformerDsl.Training;

/// <summary>
/// What <see cref="Trainer"/> needs, beyond the weights, to continue a run exactly as if it had not stopped: the optimizer's
/// state (a PyTorch-format file beside the weights), the step (which fixes the learning-rate schedule), the data position,
/// torch's random state, and the running statistics of the report. Stored in the checkpoint's sidecar.
/// </summary>
public sealed record ResumeState
{
    /// <summary>The optimizer state's file name, in the weights' directory (<c>model.optimizer.pt</c>).</summary>
    public required string OptimizerFile { get; init; }

    /// <summary>The optimizer state file's length in bytes.</summary>
    public required long OptimizerBytes { get; init; }

    /// <summary>The optimizer state file's checksum (see <see cref="Checkpoint.ChecksumOf"/>).</summary>
    public required string OptimizerChecksum { get; init; }

    /// <summary>
    /// Windows (token streams, <see cref="BatchSampler.Position"/>) or examples (datasets, <see cref="ExampleSampler.Position"/>)
    /// the training sampler had drawn.
    /// </summary>
    public required long SamplerPosition { get; init; }

    /// <summary>Torch's CPU generator state (<c>torch.random.get_rng_state()</c>), base64.</summary>
    public required string TorchRandomState { get; init; }

    /// <summary>Tokens in the training stream the run was on (examples, for a dataset of labelled sequences or pairs).</summary>
    public required long TrainTokens { get; init; }

    /// <summary>Checksum of the training data, so a resumed run refuses other data (its position would mean nothing).</summary>
    public required string TrainTokensChecksum { get; init; }

    /// <summary>
    /// The run's <see cref="TrainingObjective"/>, as text (its settings included); a resumed run must have the same. Null in
    /// checkpoints saved before objectives were recorded, which were all next-token runs.
    /// </summary>
    public string? Objective { get; init; }

    /// <summary>Tokens in all training batches so far; null in older checkpoints (then steps × batch × sequence length).</summary>
    public long? TokensTrained { get; init; }

    /// <summary>Tokens in the steps timed in <see cref="StepSeconds"/>; null in older checkpoints.</summary>
    public long? TimedTokens { get; init; }

    /// <summary>Wall time the run had used (the learning-rate schedule follows it under a time budget).</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Seconds spent in training steps (for the report's throughput).</summary>
    public double StepSeconds { get; init; }

    /// <summary>Steps timed in <see cref="StepSeconds"/>.</summary>
    public int TimedSteps { get; init; }

    /// <summary>Seconds of the last validation pass.</summary>
    public double LastEvaluationSeconds { get; init; }

    /// <summary>The first step's loss.</summary>
    public double? InitialLoss { get; init; }

    /// <summary>The losses of the last <see cref="TrainingReport.FinalLossWindow"/> steps, oldest first.</summary>
    public ImmutableArray<double> LastLosses { get; init; } = [];

    /// <summary>Sum of the training losses since the last validation pass.</summary>
    public double SinceEvaluationSum { get; init; }

    /// <summary>Steps since the last validation pass.</summary>
    public int SinceEvaluationCount { get; init; }

    /// <summary>The latest validation loss.</summary>
    public double? ValidationLoss { get; init; }

    /// <summary>The validation loss before the first step.</summary>
    public double? InitialValidationLoss { get; init; }

    /// <summary>The validation passes so far.</summary>
    public ImmutableArray<EvaluationPoint> Evaluations { get; init; } = [];
}
