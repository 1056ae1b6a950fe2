using TorchSharp;
using XformerDsl.Tests.Models;
using XformerDsl.Training;
using Xunit;

namespace XformerDsl.Tests.Training;

/// <summary>The generated model shapes train on the objective their declarations call for, through the one loop.</summary>
public class GeneratedModelTrainingTests
{
    private static readonly TrainingOptions Options = new()
    {
        MaxSteps = 60, BatchSize = 16, SequenceLength = 12, LearningRate = 1e-2, WarmupSteps = 5, EvaluationInterval = 30, EvaluationBatches = 2, Seed = 3, Threads = 2,
    };

    [Fact]
    public void A_generated_masked_language_model_trains_on_masked_tokens_of_a_stream()
    {
        var stream = Enumerable.Range(0, 2000).Select(i => (long)(i % 16)).ToArray();   // ids 0..15; 16 is the mask token
        torch.manual_seed(1);
        using var model = new TinyMaskedLanguageModel();

        Assert.Equal(new MaskedTokenObjective(16), TrainingObjective.ForTokenStream(model));
        var report = Trainer.Train(model, stream[..1600], stream[1600..], Options with { MaxSteps = 150, EvaluationInterval = 75, LearningRate = 3e-3 }, SilentTrainingObserver.Instance);

        // The ids are uniform over 16: a predictor blind to the context does no better than ln 16.
        Assert.True(report.FinalValidationLoss < Math.Log(16), $"validation loss {report.InitialValidationLoss} -> {report.FinalValidationLoss}");
    }

    [Fact]
    public void A_generated_classifier_learns_whether_a_token_appears()
    {
        var random = new Random(4);
        LabelledSequence[] Examples(int count) => Enumerable.Range(0, count).Select(_ =>
        {
            var tokens = Enumerable.Range(0, random.Next(2, 13)).Select(_ => (long)random.Next(16)).ToArray();
            return new LabelledSequence(tokens, tokens.Contains(7) ? 1 : 0);
        }).ToArray();
        var train = Examples(600);
        var validation = Examples(128);
        torch.manual_seed(2);
        using var model = new TinyClassifier();   // 3 classes; the task uses two

        var report = Trainer.Train(model, train, validation, Options with { MaxSteps = 150, EvaluationInterval = 75, EvaluationBatches = 8 }, SilentTrainingObserver.Instance);

        double majority = Math.Max(validation.Average(e => e.Label), 1 - validation.Average(e => e.Label));
        Assert.True(report.FinalValidationAccuracy > Math.Max(0.85, majority + 0.2), $"accuracy {report.FinalValidationAccuracy}, majority class {majority}");
    }

    [Fact]
    public void A_generated_encoder_decoder_trains_on_pairs_and_copies()
    {
        var random = new Random(6);
        SequencePair[] Pairs(int count) => Enumerable.Range(0, count).Select(_ =>
        {
            var source = Enumerable.Range(0, random.Next(2, 7)).Select(_ => (long)random.Next(3, 14)).ToArray();
            return new SequencePair(source, source);
        }).ToArray();
        torch.manual_seed(3);
        using var model = new TinyTranslator();   // source vocabulary 18, target 14, decoder MaxLength 10

        var report = Trainer.Train(model, Pairs(400), Pairs(64), new SpecialTokens(Bos: 1, Eos: 2, Pad: 0), Options with { MaxSteps = 120, EvaluationInterval = 60, LearningRate = 3e-3 },
            SilentTrainingObserver.Instance);

        Assert.True(report.FinalValidationLoss < report.InitialValidationLoss * 0.7, $"validation loss {report.InitialValidationLoss} -> {report.FinalValidationLoss}");
    }
}
