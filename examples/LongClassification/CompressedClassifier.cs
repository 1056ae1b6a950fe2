using XformerDsl;

namespace LongClassificationExample;

/// <summary>Memory-compressed attention: keys and values compressed 4 to 1 along the length by a strided convolution, O(L²/4).</summary>
[Transformer(Vocab = 15, Dim = 64, Depth = 2, MaxLength = 2048, Causal = false)]
[CompressedAttention(Heads = 4, Ratio = 4)]
[FeedForward(Hidden = 128)]
[ClassificationHead(Classes = 10, Pooling = Pooling.First)]
public partial class CompressedClassifier;
