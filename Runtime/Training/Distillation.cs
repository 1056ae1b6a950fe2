using TorchSharp;
using static TorchSharp.torch;

namespace XformerDsl.Training;

/// <summary>
/// Knowledge distillation (Hinton et al., 2015) for <see cref="Trainer"/>: the student is trained on the next-token
/// cross-entropy plus <see cref="Weight"/> × T² × KL(teacher ‖ student) between the two models' next-token distributions
/// softened at temperature T. Any student and any teacher with the same vocabulary serve, for instance a softmax model
/// teaching the linear-attention model converted from it. The teacher runs in evaluation mode without gradients, is
/// never given to the optimizer, and is left unchanged (its mode included).
/// </summary>
/// <param name="Teacher">The teacher: token ids <c>[batch, seq]</c> to logits <c>[batch, seq, vocab]</c>, the student's vocabulary.</param>
/// <param name="Weight">The weight of the distillation term against the cross-entropy (1 weighs them alike; 0 is plain training).</param>
/// <param name="Temperature">T: both distributions are <c>softmax(logits / T)</c>; above 1 the teacher's near-misses count more.</param>
/// <example>
/// <code>
/// var t2r = TinyT2R.ConvertFrom(trainedGpt, out _);
/// Trainer.Train(t2r, train, validation, options, distillation: new Distillation(trainedGpt, Weight: 1, Temperature: 2));
/// </code>
/// </example>
public sealed record Distillation(nn.Module<Tensor, Tensor> Teacher, double Weight = 1.0, double Temperature = 2.0)
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the setting out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Teacher, nameof(Teacher));
        if (!(Weight >= 0) || !double.IsFinite(Weight))
            throw new ArgumentException($"{nameof(Distillation)}.{nameof(Weight)} = {Weight} is out of range: must be finite and not negative (0 is plain training).", nameof(Weight));
        if (!(Temperature > 0) || !double.IsFinite(Temperature))
            throw new ArgumentException($"{nameof(Distillation)}.{nameof(Temperature)} = {Temperature} is out of range: must be finite and positive (1 leaves the distributions as they are).", nameof(Temperature));
    }

    /// <summary>
    /// The teacher's logits for <paramref name="tokens"/>, in evaluation mode without gradients; the teacher's mode is restored.
    /// </summary>
    public Tensor TeacherLogits(Tensor tokens)
    {
        bool wasTraining = Teacher.training;
        Teacher.eval();
        try
        {
            using var _ = torch.no_grad();
            return Teacher.forward(tokens);
        }
        finally
        {
            Teacher.train(wasTraining);
        }
    }

    /// <summary>
    /// The distillation term alone: T² × mean over positions of KL(softmax(teacher / T) ‖ softmax(student / T)), in nats.
    /// The T² keeps its gradient on the scale of the cross-entropy's whatever the temperature.
    /// </summary>
    /// <param name="studentLogits"><c>[..., vocab]</c>.</param>
    /// <param name="teacherLogits">The same shape; treated as constants.</param>
    /// <param name="temperature">T, positive.</param>
    /// <exception cref="ArgumentException">The shapes differ (the two models have different vocabularies); the message shows both.</exception>
    public static Tensor KullbackLeibler(Tensor studentLogits, Tensor teacherLogits, double temperature)
    {
        if (!studentLogits.shape.SequenceEqual(teacherLogits.shape))
            throw new ArgumentException(
                $"Distillation needs the teacher's logits in the student's shape [batch, seq, vocab]: the student gave [{string.Join(", ", studentLogits.shape)}], " +
                $"the teacher [{string.Join(", ", teacherLogits.shape)}]. Distil from a teacher with the student's vocabulary.");
        using var scope = NewDisposeScope();
        long vocab = studentLogits.shape[^1];
        var studentLog = nn.functional.log_softmax(studentLogits.reshape(-1, vocab) / temperature, 1);
        var teacherLog = nn.functional.log_softmax(teacherLogits.detach().reshape(-1, vocab).to(studentLogits.dtype) / temperature, 1);
        // Σ_v p_t (log p_t − log p_s), averaged over positions.
        var perPosition = (teacherLog.exp() * (teacherLog - studentLog)).sum(1);
        return (perPosition.mean() * (temperature * temperature)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The training loss: next-token cross-entropy of <paramref name="studentLogits"/> against <paramref name="targets"/>
    /// plus <see cref="Weight"/> × <see cref="KullbackLeibler"/>.
    /// </summary>
    /// <param name="studentLogits"><c>[batch, seq, vocab]</c>.</param>
    /// <param name="teacherLogits">The teacher's logits for the same inputs, the same shape.</param>
    /// <param name="targets">Next tokens, <c>[batch, seq]</c>.</param>
    public Tensor Loss(Tensor studentLogits, Tensor teacherLogits, Tensor targets)
    {
        using var scope = NewDisposeScope();
        var crossEntropy = NextTokenObjective.Loss(studentLogits, targets);
        if (Weight == 0)
            return crossEntropy.MoveToOuterDisposeScope();
        return (crossEntropy + KullbackLeibler(studentLogits, teacherLogits, Temperature) * Weight).MoveToOuterDisposeScope();
    }
}
