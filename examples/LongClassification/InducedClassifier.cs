using XformerDsl;

namespace LongClassificationExample;

/// <summary>Set Transformer's inducing points: 32 learned points summarise the sequence, which then attends to them, O(L·32).</summary>
[Transformer(Vocab = 15, Dim = 64, Depth = 2, MaxLength = 2048, Causal = false)]
[InducedAttention(Heads = 4, Points = 32)]
[FeedForward(Hidden = 128)]
[ClassificationHead(Classes = 10, Pooling = Pooling.First)]
public partial class InducedClassifier;
