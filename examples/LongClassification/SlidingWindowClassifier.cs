using XformerDsl;

namespace LongClassificationExample;

/// <summary>Longformer: a window of 128 tokens around each token, plus the first token (the root operator) as a global token.</summary>
[Transformer(Vocab = 15, Dim = 64, Depth = 2, MaxLength = 2048, Causal = false)]
[SlidingWindowAttention(Heads = 4, Window = 128, GlobalTokens = 1)]
[FeedForward(Hidden = 128)]
[ClassificationHead(Classes = 10, Pooling = Pooling.First)]
public partial class SlidingWindowClassifier;
