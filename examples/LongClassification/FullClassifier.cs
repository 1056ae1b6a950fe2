using XformerDsl;

namespace LongClassificationExample;

/// <summary>Full attention: every token sees every token, O(L²). The reference the others are measured against.</summary>
[Transformer(Vocab = 15, Dim = 64, Depth = 2, MaxLength = 2048, Causal = false)]
[FullAttention(Heads = 4)]
[FeedForward(Hidden = 128)]
[ClassificationHead(Classes = 10, Pooling = Pooling.First)]
public partial class FullClassifier;
