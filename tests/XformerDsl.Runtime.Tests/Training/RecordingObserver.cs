using XformerDsl.Training;

namespace XformerDsl.Tests.Training;

/// <summary>
/// Records a run's steps and validation passes; with <c>stopAfter</c> it interrupts the run after that step, as a
/// crash or a kill would (<see cref="TrainingInterrupted"/>).
/// </summary>
internal sealed class RecordingObserver(int stopAfter = int.MaxValue) : ITrainingObserver
{
    public List<TrainingProgress> Steps { get; } = [];

    public List<TrainingProgress> Evaluations { get; } = [];

    public void OnStep(TrainingProgress progress)
    {
        Steps.Add(progress);
        if (progress.Step == stopAfter)
            throw new TrainingInterrupted();
    }

    public void OnEvaluation(TrainingProgress progress) => Evaluations.Add(progress);
}

/// <summary>Thrown by <see cref="RecordingObserver"/> to interrupt a run.</summary>
internal sealed class TrainingInterrupted : Exception;
