using TorchSharp;
using XformerDsl.Training;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Training;

/// <summary>Distillation in the trainer: the loss against an independent computation, where gradients go, what the teacher keeps.</summary>
public sealed class DistillationTests
{
    private const int Vocab = 10;

    /// <summary>A bigram teacher that has learned "the next id is this id + 1 (mod 10)" with confidence <paramref name="margin"/>.</summary>
    private static BigramLanguageModel SuccessorTeacher(double margin)
    {
        var teacher = new BigramLanguageModel(Vocab);
        using var noGrad = no_grad();
        var table = teacher.parameters().Single();
        table.zero_();
        for (int id = 0; id < Vocab; id++)
            table[id, (id + 1) % Vocab] = tensor((float)margin);
        return teacher;
    }

    [Fact]
    public void The_loss_is_cross_entropy_plus_the_weighted_tempered_KL_computed_independently()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(11);
        var student = randn(2, 3, Vocab, dtype: ScalarType.Float64);
        var teacher = randn(2, 3, Vocab, dtype: ScalarType.Float64) * 3;
        var targets = randint(0, Vocab, new long[] { 2, 3 });
        const double weight = 0.7, temperature = 2.5;

        double actual = new Distillation(new BigramLanguageModel(Vocab), weight, temperature).Loss(student, teacher, targets).item<double>();

        // Independently, in doubles: per position, −log p_s(target) and T² Σ p_t^T log(p_t^T / p_s^T).
        double[] s = student.data<double>().ToArray(), t = teacher.data<double>().ToArray();
        long[] y = targets.data<long>().ToArray();
        static double[] Softmax(ReadOnlySpan<double> logits, double temperature)
        {
            double max = double.NegativeInfinity;
            foreach (var l in logits) max = Math.Max(max, l / temperature);
            var e = new double[logits.Length];
            for (int i = 0; i < e.Length; i++) e[i] = Math.Exp(logits[i] / temperature - max);
            double sum = e.Sum();
            return e.Select(v => v / sum).ToArray();
        }
        double crossEntropy = 0, kl = 0;
        int positions = y.Length;
        for (int p = 0; p < positions; p++)
        {
            var rowS = s.AsSpan(p * Vocab, Vocab);
            var rowT = t.AsSpan(p * Vocab, Vocab);
            crossEntropy -= Math.Log(Softmax(rowS, 1)[y[p]]);
            var ps = Softmax(rowS, temperature);
            var pt = Softmax(rowT, temperature);
            for (int v = 0; v < Vocab; v++)
                kl += pt[v] * Math.Log(pt[v] / ps[v]);
        }
        double expected = crossEntropy / positions + weight * temperature * temperature * kl / positions;
        Assert.Equal(expected, actual, 1e-10);
    }

    [Fact]
    public void The_gradient_reaches_the_student_only_and_the_teacher_runs_in_eval_mode_without_gradients()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(12);
        using var student = new BigramLanguageModel(Vocab);
        using var teacher = new ModeRecordingBigram(Vocab);
        teacher.train();
        var distillation = new Distillation(teacher, Weight: 1, Temperature: 2);
        var tokens = randint(0, Vocab, new long[] { 2, 5 });

        var teacherLogits = distillation.TeacherLogits(tokens);
        distillation.Loss(student.forward(tokens), teacherLogits, (tokens + 1) % Vocab).backward();

        Assert.False(teacherLogits.requires_grad);
        Assert.Equal([false], teacher.ModesSeen);   // evaluated in eval mode ...
        Assert.True(teacher.training);              // ... and given back in the mode it had
        Assert.All(teacher.parameters(), p => Assert.True(p.grad is null || p.grad.abs().max().item<float>() == 0));
        Assert.True(student.parameters().Single().grad!.abs().max().item<float>() > 0);
    }

    [Fact]
    public void Training_with_a_teacher_pulls_the_student_to_its_predictions_and_leaves_the_teacher_unchanged()
    {
        // On random text the targets carry no pattern, so cross-entropy alone leaves the student near uniform; the teacher
        // knows "id + 1", and only distillation can teach it.
        var random = new Random(3);
        var text = Enumerable.Range(0, 4000).Select(_ => (long)random.Next(Vocab)).ToArray();
        var options = new TrainingOptions
        {
            MaxSteps = 60, BatchSize = 8, SequenceLength = 16, LearningRate = 0.1, WarmupSteps = 5,
            EvaluationInterval = 60, EvaluationBatches = 1, Seed = 4, Threads = 2,
        };
        using var teacher = SuccessorTeacher(margin: 6);
        teacher.train();
        var before = teacher.parameters().Single().clone();

        double SuccessorProbability(BigramLanguageModel model)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var ids = arange(Vocab);
            var probabilities = nn.functional.softmax(model.forward(ids.unsqueeze(0)).squeeze(0), 1);
            return probabilities.gather(1, ((ids + 1) % Vocab).unsqueeze(1)).mean().item<float>();
        }

        torch.manual_seed(5);
        using var plain = new BigramLanguageModel(Vocab);
        Trainer.Train(plain, text, text, options, new RecordingObserver());
        torch.manual_seed(5);
        using var distilled = new BigramLanguageModel(Vocab);
        Trainer.Train(distilled, text, text, options, new RecordingObserver(), distillation: new Distillation(teacher, Weight: 2, Temperature: 1));

        Assert.True(SuccessorProbability(plain) < 0.2, $"plain {SuccessorProbability(plain)}");
        Assert.True(SuccessorProbability(distilled) > 0.5, $"distilled {SuccessorProbability(distilled)}");
        Assert.True(teacher.parameters().Single().equal(before).all().item<bool>());
        Assert.True(teacher.training);
        before.Dispose();
    }

    [Fact]
    public void Bad_settings_a_vocabulary_mismatch_and_the_model_as_its_own_teacher_are_refused_with_the_fix()
    {
        var text = Enumerable.Range(0, 400).Select(i => (long)(i % Vocab)).ToArray();
        var options = new TrainingOptions { MaxSteps = 1, BatchSize = 2, SequenceLength = 8, Threads = 2 };
        using var model = new BigramLanguageModel(Vocab);
        using var wrongVocab = new BigramLanguageModel(Vocab + 1);

        var weight = Assert.Throws<ArgumentException>(() => Trainer.Train(model, text, text, options, new RecordingObserver(), distillation: new Distillation(wrongVocab, Weight: -1)));
        Assert.Contains("Weight = -1", weight.Message);
        var temperature = Assert.Throws<ArgumentException>(() => Trainer.Train(model, text, text, options, new RecordingObserver(), distillation: new Distillation(wrongVocab, Temperature: 0)));
        Assert.Contains("Temperature = 0", temperature.Message);
        var self = Assert.Throws<ArgumentException>(() => Trainer.Train(model, text, text, options, new RecordingObserver(), distillation: new Distillation(model)));
        Assert.Contains("is the model being trained", self.Message);
        // Undeclared models are checked by their logits' shapes at the first step.
        var vocab = Assert.Throws<ArgumentException>(() => Trainer.Train(model, text, text, options, new RecordingObserver(), distillation: new Distillation(wrongVocab)));
        Assert.Contains("the student's vocabulary", vocab.Message);
    }

    [Fact]
    public void A_segment_recurrent_student_is_refused_with_the_reason()
    {
        var text = Enumerable.Range(0, 400).Select(i => (long)(i % 16)).ToArray();
        var options = new TrainingOptions { MaxSteps = 1, BatchSize = 2, SequenceLength = 8, Threads = 2 };
        using var student = new Attention.Recurrence.TinyTransformerXl();
        using var teacher = new BigramLanguageModel(16);
        var refused = Assert.Throws<ArgumentException>(() => Trainer.Train(student, text, text, options, new RecordingObserver(), distillation: new Distillation(teacher)));
        Assert.Contains("segment-recurrent", refused.Message);
        Assert.Contains("without a Distillation", refused.Message);
    }

    /// <summary>A bigram model that records whether it was in training mode each time it ran.</summary>
    private sealed class ModeRecordingBigram : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Embedding table;

        public ModeRecordingBigram(int vocabulary) : base(nameof(ModeRecordingBigram))
        {
            table = nn.Embedding(vocabulary, vocabulary);
            RegisterComponents();
        }

        public List<bool> ModesSeen { get; } = [];

        public override Tensor forward(Tensor ids)
        {
            ModesSeen.Add(training);
            return table.forward(ids);
        }
    }
}
