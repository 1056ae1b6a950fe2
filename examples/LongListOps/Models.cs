using TorchSharp;
using XformerDsl;
using XformerDsl.Modules;

namespace LongListOpsExample;

// One bidirectional encoder per attention family, in one frame: the tasks' tokens, Dim 64, two layers of 4 heads,
// feed-forward 128, sinusoidal positions (no table of 2,048 rows to learn in a few minutes), MaxLength 2,048 (LRA's
// longest expression is 1,999 tokens; a multiple of the 64-token blocks), and a classification head on the first
// token's vector (BERT's [CLS]: the lookup's query, ListOps' outermost operator), so what reaches the answer is what
// the first token's attention gathers. Only the attention line differs; the mechanisms are sized so that each query sees a few hundred
// positions at most, except full attention, which sees all of them.
// To compare another family: declare its class here and add one line to ListOpsModels.All.

/// <summary>Full attention: every token sees every token, O(L²). The reference the others are measured against.</summary>
[Transformer(Vocab = Tasks.Vocabulary, Dim = 64, Depth = 2, MaxLength = 2048, Causal = false)]
[FullAttention(Heads = 4)]
[FeedForward(Hidden = 128)]
[Positions(Kind = PositionEncoding.Sinusoidal)]
[ClassificationHead(Classes = Tasks.Classes, Pooling = Pooling.First)]
public partial class FullListOps;

/// <summary>Linformer: keys and values projected along the length to 256 rows by learned matrices, O(L·256).</summary>
[Transformer(Vocab = Tasks.Vocabulary, Dim = 64, Depth = 2, MaxLength = 2048, Causal = false)]
[LowRankAttention(Heads = 4, ProjectedLength = 256)]
[FeedForward(Hidden = 128)]
[Positions(Kind = PositionEncoding.Sinusoidal)]
[ClassificationHead(Classes = Tasks.Classes, Pooling = Pooling.First)]
public partial class LowRankListOps;

/// <summary>Local attention (Image Transformer): a 64-token block sees itself and one block on each side, 192 keys.</summary>
[Transformer(Vocab = Tasks.Vocabulary, Dim = 64, Depth = 2, MaxLength = 2048, Causal = false)]
[LocalAttention(Heads = 4, Block = 64, Before = 1, After = 1)]
[FeedForward(Hidden = 128)]
[Positions(Kind = PositionEncoding.Sinusoidal)]
[ClassificationHead(Classes = Tasks.Classes, Pooling = Pooling.First)]
public partial class LocalListOps;

/// <summary>Longformer: a window of 128 tokens around each token, plus the first token (the root operator) as a global token.</summary>
[Transformer(Vocab = Tasks.Vocabulary, Dim = 64, Depth = 2, MaxLength = 2048, Causal = false)]
[SlidingWindowAttention(Heads = 4, Window = 128, GlobalTokens = 1)]
[FeedForward(Hidden = 128)]
[Positions(Kind = PositionEncoding.Sinusoidal)]
[ClassificationHead(Classes = Tasks.Classes, Pooling = Pooling.First)]
public partial class SlidingWindowListOps;

/// <summary>BigBird: 64-token blocks; each sees 3 window blocks, 2 global blocks and 3 random blocks (512 keys).</summary>
[Transformer(Vocab = Tasks.Vocabulary, Dim = 64, Depth = 2, MaxLength = 2048, Causal = false)]
[BigBirdAttention(Heads = 4, Block = 64, WindowBlocks = 3, GlobalBlocks = 2, RandomBlocks = 3)]
[FeedForward(Hidden = 128)]
[Positions(Kind = PositionEncoding.Sinusoidal)]
[ClassificationHead(Classes = Tasks.Classes, Pooling = Pooling.First)]
public partial class BigBirdListOps;

/// <summary>Linear attention (Katharopoulos et al.): φ(x) = elu(x) + 1 in place of the softmax, O(L·headDim²).</summary>
[Transformer(Vocab = Tasks.Vocabulary, Dim = 64, Depth = 2, MaxLength = 2048, Causal = false)]
[LinearAttention(Heads = 4, Kernel = FeatureMap.Elu)]
[FeedForward(Hidden = 128)]
[Positions(Kind = PositionEncoding.Sinusoidal)]
[ClassificationHead(Classes = Tasks.Classes, Pooling = Pooling.First)]
public partial class LinearListOps;

/// <summary>A model the example compares: its short name (the table's and <c>--models</c>' key), its card and a constructor.</summary>
internal sealed record ListOpsModel(string Name, ModelCard Card, Func<torch.nn.Module> Create);

/// <summary>What the models are declared for: both tasks' tokens and answers.</summary>
internal static class Tasks
{
    /// <summary>The larger vocabulary of the two tasks (KeyLookup's; ListOps has 15 tokens).</summary>
    public const int Vocabulary = KeyLookup.VocabularySize;

    /// <summary>Both tasks answer a digit.</summary>
    public const int Classes = 10;
}

internal static class ListOpsModels
{
    /// <summary>Every model, in the table's order; full attention first, as the reference.</summary>
    public static IReadOnlyList<ListOpsModel> All { get; } =
    [
        new("full", FullListOps.Card, () => new FullListOps()),
        new("lowrank", LowRankListOps.Card, () => new LowRankListOps()),
        new("local", LocalListOps.Card, () => new LocalListOps()),
        new("window", SlidingWindowListOps.Card, () => new SlidingWindowListOps()),
        new("bigbird", BigBirdListOps.Card, () => new BigBirdListOps()),
        new("linear", LinearListOps.Card, () => new LinearListOps()),
    ];
}
