using TorchSharp;
using XformerDsl;

namespace LongClassificationExample;

// One bidirectional encoder per attention family, each declared in its own file, in one frame: 15 tokens (ListOps'
// vocabulary; the commonest-digit task uses 11 of them), Dim 64, two layers of 4 heads, feed-forward 128, learned
// positions (sinusoidal ones, unit-sized beside GPT-2's 0.02-sized token embeddings, kept every model at chance for
// hundreds of steps), MaxLength 2,048 (LRA's longest expression has 1,999 tokens; a multiple of the 64-token blocks),
// and a classification head of 10 classes on the first token's vector (BERT's [CLS]; ListOps' outermost operator), so
// the answer is what the first token's attention gathers over two layers. Only the attention line differs.
// To compare another family: declare its class in a file of its own, as FullClassifier.cs, and add one line to
// ComparedModels.All.

/// <summary>A model the example compares: its short name (the table's and <c>--models</c>' key), its card and a constructor.</summary>
internal sealed record ComparedModel(string Name, ModelCard Card, Func<torch.nn.Module> Create);

/// <summary>What the tasks share.</summary>
internal static class Tasks
{
    /// <summary>Both tasks answer a digit: the models' classes.</summary>
    public const int Classes = 10;
}

internal static class ComparedModels
{
    /// <summary>Every model, in the table's order; full attention first, as the reference.</summary>
    public static IReadOnlyList<ComparedModel> All { get; } =
    [
        new("full", FullClassifier.Card, () => new FullClassifier()),
        new("lowrank", LowRankClassifier.Card, () => new LowRankClassifier()),
        new("local", LocalClassifier.Card, () => new LocalClassifier()),
        new("window", SlidingWindowClassifier.Card, () => new SlidingWindowClassifier()),
        new("bigbird", BigBirdClassifier.Card, () => new BigBirdClassifier()),
        new("linear", LinearClassifier.Card, () => new LinearClassifier()),
        new("synthesizer", SynthesizerClassifier.Card, () => new SynthesizerClassifier()),
        new("compressed", CompressedClassifier.Card, () => new CompressedClassifier()),
        new("induced", InducedClassifier.Card, () => new InducedClassifier()),
    ];

    /// <summary>The longest sequence every model takes.</summary>
    public static int MaxLength { get; } = All.Min(model => model.Card.Spec.MaxLength);
}
