namespace XformerDsl.Training;

/// <summary>
/// How <see cref="Trainer"/> trains a language model: batch shape, AdamW hyper-parameters, learning-rate
/// schedule, when to evaluate and when to stop. Immutable; derive variants with <c>with</c>.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Stop after this many optimizer steps.</summary>
    public int MaxSteps { get; init; } = 1000;

    /// <summary>
    /// Also stop once this much wall time has passed since training started (the first step's JIT and
    /// validation passes included). The learning-rate schedule follows whichever limit binds first.
    /// </summary>
    public TimeSpan? TimeBudget { get; init; }

    /// <summary>Windows per batch.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Tokens per window: the length the model is trained at.</summary>
    public int SequenceLength { get; init; } = 128;

    /// <summary>The peak learning rate, reached at the end of warm-up.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>The learning rate the cosine decay ends at, as a fraction of <see cref="LearningRate"/>.</summary>
    public double MinLearningRateFraction { get; init; } = 0.1;

    /// <summary>Steps of linear warm-up from near zero to <see cref="LearningRate"/>.</summary>
    public int WarmupSteps { get; init; } = 50;

    /// <summary>
    /// AdamW's decoupled weight decay, applied to matrices only: biases, normalisation weights and embeddings are not decayed.
    /// </summary>
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>AdamW's β₁ (first-moment decay).</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>AdamW's β₂ (second-moment decay); 0.95 is steadier than 0.999 for short language-model runs.</summary>
    public double Beta2 { get; init; } = 0.95;

    /// <summary>AdamW's ε.</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Clip the global L2 norm of the gradients to this value; 0 turns clipping off.</summary>
    public double GradientClipNorm { get; init; } = 1.0;

    /// <summary>Measure the validation loss before the first step, every this many steps, and after the last step.</summary>
    public int EvaluationInterval { get; init; } = 100;

    /// <summary>Batches per validation pass (always the same windows, so passes are comparable).</summary>
    public int EvaluationBatches { get; init; } = 8;

    /// <summary>When progress is written as plain lines (output redirected), one line every this many steps.</summary>
    public int LogInterval { get; init; } = 25;

    /// <summary>Seed of the batch windows and of torch's generator (dropout).</summary>
    public int Seed { get; init; } = 1337;

    /// <summary>Intra-op threads for torch; null means one per logical core.</summary>
    public int? Threads { get; init; }

    /// <summary>
    /// A validation cadence for a run of <paramref name="maxSteps"/> steps: about six passes per run, at most every 100 steps,
    /// and never more often than every 10 steps, so a short run (<c>--steps 5</c>) is validated before its first and after its
    /// last step only rather than after every step. Use it for <see cref="EvaluationInterval"/> when the step count is a
    /// command-line choice.
    /// </summary>
    public static int EvaluationIntervalFor(int maxSteps)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSteps);
        return Math.Clamp((maxSteps + 5) / 6, 10, 100);
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        static void Require(bool ok, string name, object value, string rule)
        {
            if (!ok) throw new ArgumentException($"{name} = {value} is out of range: {rule}.", name);
        }
        Require(MaxSteps > 0, nameof(MaxSteps), MaxSteps, "must be positive");
        Require(TimeBudget is null || TimeBudget > TimeSpan.Zero, nameof(TimeBudget), TimeBudget!, "must be positive");
        Require(BatchSize > 0, nameof(BatchSize), BatchSize, "must be positive");
        Require(SequenceLength > 0, nameof(SequenceLength), SequenceLength, "must be positive");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "must be positive");
        Require(MinLearningRateFraction is >= 0 and <= 1, nameof(MinLearningRateFraction), MinLearningRateFraction, "must be in [0, 1]");
        Require(WarmupSteps >= 0, nameof(WarmupSteps), WarmupSteps, "must not be negative");
        Require(WeightDecay >= 0, nameof(WeightDecay), WeightDecay, "must not be negative");
        Require(Beta1 is >= 0 and < 1, nameof(Beta1), Beta1, "must be in [0, 1)");
        Require(Beta2 is >= 0 and < 1, nameof(Beta2), Beta2, "must be in [0, 1)");
        Require(Epsilon >= 0, nameof(Epsilon), Epsilon, "must not be negative");
        Require(GradientClipNorm >= 0, nameof(GradientClipNorm), GradientClipNorm, "must not be negative (0 turns clipping off)");
        Require(EvaluationInterval > 0, nameof(EvaluationInterval), EvaluationInterval, "must be positive");
        Require(EvaluationBatches >= 0, nameof(EvaluationBatches), EvaluationBatches, "must not be negative");
        Require(LogInterval > 0, nameof(LogInterval), LogInterval, "must be positive");
        Require(Threads is null or > 0, nameof(Threads), Threads!, "must be positive");
    }
}
