using TorchSharp;
using XformerDsl;
using XformerDsl.Modules;

namespace LongClassificationExample;

// One bidirectional encoder per attention family, in one frame: the tasks' tokens, Dim 64, two layers of 4 heads,
// feed-forward 128, learned positions (sinusoidal ones, unit-sized beside GPT-2's 0.02-sized token embeddings, kept every
// model at chance for hundreds of steps), MaxLength 2,048 (LRA's longest expression has 1,999 tokens; a multiple of the
// 64-token blocks), and a classification head on the first token's vector (BERT's [CLS]; ListOps' outermost operator),
// so the answer is what the first token's attention gathers over two layers. Only the attention line differs.
// To compare another family: declare its class here and add one line to ComparedModels.All.

/// <summary>Full attention: every token sees every token, O(L²). The reference the others are measured against.</summary>
[Transformer(Vocab = Tasks.Vocabulary, Dim = 64, Depth = 2, MaxLength = 2048, Causal = false)]
[FullAttention(Heads = 4)]
[FeedForward(Hidden = 128)]
[ClassificationHead(Classes = Tasks.Classes, Pooling = Pooling.First)]
public partial class FullClassifier;

/// <summary>Linformer: keys and values projected along the length to 256 rows by learned matrices, O(L·256).</summary>
[Transformer(Vocab = Tasks.Vocabulary, Dim = 64, Depth = 2, MaxLength = 2048, Causal = false)]
[LowRankAttention(Heads = 4, ProjectedLength = 256)]
[FeedForward(Hidden = 128)]
[ClassificationHead(Classes = Tasks.Classes, Pooling = Pooling.First)]
public partial class LowRankClassifier;

/// <summary>Local attention (Image Transformer): a 64-token block sees itself and one block on each side, 192 keys.</summary>
[Transformer(Vocab = Tasks.Vocabulary, Dim = 64, Depth = 2, MaxLength = 2048, Causal = false)]
[LocalAttention(Heads = 4, Block = 64, Before = 1, After = 1)]
[FeedForward(Hidden = 128)]
[ClassificationHead(Classes = Tasks.Classes, Pooling = Pooling.First)]
public partial class LocalClassifier;

/// <summary>Longformer: a window of 128 tokens around each token, plus the first token (the root operator) as a global token.</summary>
[Transformer(Vocab = Tasks.Vocabulary, Dim = 64, Depth = 2, MaxLength = 2048, Causal = false)]
[SlidingWindowAttention(Heads = 4, Window = 128, GlobalTokens = 1)]
[FeedForward(Hidden = 128)]
[ClassificationHead(Classes = Tasks.Classes, Pooling = Pooling.First)]
public partial class SlidingWindowClassifier;

/// <summary>BigBird: 64-token blocks; each sees 3 window blocks, 2 global blocks and 3 random blocks (512 keys).</summary>
[Transformer(Vocab = Tasks.Vocabulary, Dim = 64, Depth = 2, MaxLength = 2048, Causal = false)]
[BigBirdAttention(Heads = 4, Block = 64, WindowBlocks = 3, GlobalBlocks = 2, RandomBlocks = 3)]
[FeedForward(Hidden = 128)]
[ClassificationHead(Classes = Tasks.Classes, Pooling = Pooling.First)]
public partial class BigBirdClassifier;

/// <summary>Linear attention (Katharopoulos et al.): φ(x) = elu(x) + 1 in place of the softmax, O(L·headDim²).</summary>
[Transformer(Vocab = Tasks.Vocabulary, Dim = 64, Depth = 2, MaxLength = 2048, Causal = false)]
[LinearAttention(Heads = 4, Kernel = FeatureMap.Elu)]
[FeedForward(Hidden = 128)]
[ClassificationHead(Classes = Tasks.Classes, Pooling = Pooling.First)]
public partial class LinearClassifier;

/// <summary>A model the example compares: its short name (the table's and <c>--models</c>' key), its card and a constructor.</summary>
internal sealed record ComparedModel(string Name, ModelCard Card, Func<torch.nn.Module> Create);

/// <summary>What the models are declared for: both tasks' tokens and answers.</summary>
internal static class Tasks
{
    /// <summary>The larger vocabulary of the two tasks: ListOps' 15 tokens (the commonest-digit task has 11).</summary>
    public const int Vocabulary = ListOps.VocabularySize > Majority.VocabularySize ? ListOps.VocabularySize : Majority.VocabularySize;

    /// <summary>Both tasks answer a digit.</summary>
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
    ];
}
