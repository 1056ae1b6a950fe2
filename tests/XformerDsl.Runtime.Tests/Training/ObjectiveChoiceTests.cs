using TorchSharp;
using XformerDsl.Tests.Generation;
using XformerDsl.Tests.Models;
using XformerDsl.Training;
using Xunit;

namespace XformerDsl.Tests.Training;

/// <summary>The trainer chooses the objective from the declaration, and refuses a model its data cannot train, saying why and what to do.</summary>
public class ObjectiveChoiceTests
{
    private static readonly long[] Tokens = Enumerable.Range(0, 200).Select(i => (long)(i % 10)).ToArray();
    private static readonly TrainingOptions Options = new() { MaxSteps = 2, BatchSize = 2, SequenceLength = 8, Threads = 2, EvaluationBatches = 1 };

    [Fact]
    public void A_bidirectional_encoder_with_a_language_model_head_is_refused_next_token_training_with_what_to_declare()
    {
        using var model = new TinyEncoder();   // generated: Causal = false, no head
        var error = Assert.Throws<ArgumentException>(() => Trainer.Train(model, Tokens, Tokens, Options, SilentTrainingObserver.Instance));

        Assert.Contains("TinyEncoder is a bidirectional encoder (Causal = false)", error.Message);
        Assert.Contains("[MaskedLanguageModelHead]", error.Message);
        Assert.Contains("[ClassificationHead(Classes = n)]", error.Message);
        Assert.Contains("Causal = true", error.Message);
    }

    [Fact]
    public void Declarations_choose_next_token_and_masked_token_objectives()
    {
        using var gpt = new TinyGpt2();
        using var masked = new NeighbourMaskedModel(vocab: 12, maskToken: 11);
        using var plain = new BigramLanguageModel(12);

        Assert.Same(NextTokenObjective.Instance, TrainingObjective.ForTokenStream(gpt));
        Assert.Same(NextTokenObjective.Instance, TrainingObjective.ForTokenStream(plain));
        Assert.Equal(new MaskedTokenObjective(11), TrainingObjective.ForTokenStream(masked));
    }

    [Fact]
    public void A_classifier_given_a_token_stream_is_told_to_use_labelled_sequences()
    {
        using var model = new MeanPoolClassifier(vocab: 10, classes: 3, maxLength: 8);
        var error = Assert.Throws<ArgumentException>(() => Trainer.Train(model, Tokens, Tokens, Options, SilentTrainingObserver.Instance));

        Assert.Contains("[ClassificationHead(Classes = 3)]", error.Message);
        Assert.Contains("[batch, 3]", error.Message);
        Assert.Contains("IReadOnlyList<LabelledSequence>", error.Message);
    }

    [Fact]
    public void An_encoder_decoder_given_a_token_stream_is_told_to_use_sequence_pairs()
    {
        using var model = new TinyEncoderDecoder(8, 8);
        var error = Assert.Throws<ArgumentException>(() => TrainingObjective.ForTokenStream(model));

        Assert.Contains("TinyEncoderDecoder is an encoder–decoder", error.Message);
        Assert.Contains("IReadOnlyList<SequencePair>", error.Message);
        Assert.Contains("SpecialTokens(Bos, Eos, Pad)", error.Message);
    }

    [Fact]
    public void Generated_model_shapes_are_refused_the_data_they_cannot_train_on()
    {
        using var classifier = new TinyClassifier();
        var stream = Assert.Throws<ArgumentException>(() => Trainer.Train(classifier, Tokens, Tokens, Options, SilentTrainingObserver.Instance));
        Assert.Contains("TinyClassifier declares [ClassificationHead(Classes = 3)]", stream.Message);

        using var translator = new TinyTranslator();
        var labelled = Assert.Throws<ArgumentException>(() => Trainer.Train(translator, new LabelledSequence[] { new([1], 0) }, null, Options, SilentTrainingObserver.Instance));
        Assert.Contains("TinyTranslator is an encoder–decoder", labelled.Message);
        Assert.Contains("SequencePair", labelled.Message);
        Assert.Contains("IReadOnlyList<SequencePair>", Assert.Throws<ArgumentException>(() => TrainingObjective.ForTokenStream(translator)).Message);

        using var masked = new TinyMaskedLanguageModel();
        var pairs = Assert.Throws<ArgumentException>(() => Trainer.Train(masked, new SequencePair[] { new([1], [2]) }, null, new SpecialTokens(0, 1, 2), Options, SilentTrainingObserver.Instance));
        Assert.Contains("TinyMaskedLanguageModel is a masked language model (train it on a token stream)", pairs.Message);
    }

    [Fact]
    public void A_language_model_given_labelled_sequences_or_pairs_is_refused_naming_what_it_is()
    {
        using var model = new TinyGpt2();
        LabelledSequence[] labelled = [new([1, 2], 0)];
        var classify = Assert.Throws<ArgumentException>(() => Trainer.Train(model, labelled, null, Options, SilentTrainingObserver.Instance));
        Assert.Contains("Labelled sequences train a classifier, but TinyGpt2 is a causal language model", classify.Message);
        Assert.Contains("[ClassificationHead(Classes = n)]", classify.Message);

        SequencePair[] pairs = [new([1], [2])];
        var translate = Assert.Throws<ArgumentException>(() => Trainer.Train(model, pairs, null, new SpecialTokens(0, 1, 2), Options, SilentTrainingObserver.Instance));
        Assert.Contains("Sequence pairs train an encoder–decoder", translate.Message);
        Assert.Contains("TinyGpt2 is a decoder language model (train it on a token stream)", translate.Message);
    }

    [Fact]
    public void Labelled_data_that_does_not_fit_the_classifier_is_refused_naming_the_example()
    {
        using var model = new MeanPoolClassifier(vocab: 10, classes: 2, maxLength: 4);
        var tooLong = Assert.Throws<ArgumentException>(() => Trainer.Train(model, new LabelledSequence[] { new([1, 2, 3, 4, 5], 0) }, null, Options, SilentTrainingObserver.Instance));
        Assert.Contains("Labelled sequence 0 has 5 tokens", tooLong.Message);
        Assert.Contains("MaxLength = 4", tooLong.Message);

        var label = Assert.Throws<ArgumentException>(() => Trainer.Train(model, new LabelledSequence[] { new([1, 2], 0), new([3], 2) }, null, Options with { BatchSize = 2 }, SilentTrainingObserver.Instance));
        Assert.Contains("label 2", label.Message);
        Assert.Contains("Classes = 2", label.Message);
    }
}
