using XformerDsl;

namespace LongClassificationExample;

/// <summary>BigBird: 64-token blocks; each sees 3 window blocks, 2 global blocks and 3 random blocks (512 keys).</summary>
[Transformer(Vocab = 15, Dim = 64, Depth = 2, MaxLength = 2048, Causal = false)]
[BigBirdAttention(Heads = 4, Block = 64, WindowBlocks = 3, GlobalBlocks = 2, RandomBlocks = 3)]
[FeedForward(Hidden = 128)]
[ClassificationHead(Classes = 10, Pooling = Pooling.First)]
public partial class BigBirdClassifier;
