using XformerDsl;

namespace LongClassificationExample;

/// <summary>Linear attention (Katharopoulos et al.): φ(x) = elu(x) + 1 in place of the softmax, O(L·headDim²).</summary>
[Transformer(Vocab = 15, Dim = 64, Depth = 2, MaxLength = 2048, Causal = false)]
[LinearAttention(Heads = 4, Kernel = FeatureMap.Elu)]
[FeedForward(Hidden = 128)]
[ClassificationHead(Classes = 10, Pooling = Pooling.First)]
public partial class LinearClassifier;
