using XformerDsl;

namespace LongClassificationExample;

/// <summary>Local attention (Image Transformer): a 64-token block sees itself and one block on each side, 192 keys.</summary>
[Transformer(Vocab = 15, Dim = 64, Depth = 2, MaxLength = 2048, Causal = false)]
[LocalAttention(Heads = 4, Block = 64, Before = 1, After = 1)]
[FeedForward(Hidden = 128)]
[ClassificationHead(Classes = 10, Pooling = Pooling.First)]
public partial class LocalClassifier;
