using XformerDsl;

namespace LongClassificationExample;

/// <summary>Linformer: keys and values projected along the length to 256 rows by learned matrices, O(L·256).</summary>
[Transformer(Vocab = 15, Dim = 64, Depth = 2, MaxLength = 2048, Causal = false)]
[LowRankAttention(Heads = 4, ProjectedLength = 256)]
[FeedForward(Hidden = 128)]
[ClassificationHead(Classes = 10, Pooling = Pooling.First)]
public partial class LowRankClassifier;
