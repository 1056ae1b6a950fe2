using XformerDsl;

namespace Demo.Models;

// Memory-compressed attention in an encoder: every query attends to slots of 4 positions, mean-pooled.
[Transformer(Vocab = 256, Dim = 256, Depth = 2, MaxLength = 2048, Causal = false)]
[CompressedAttention(Heads = 4, Ratio = 4, Compression = MemoryCompression.MeanPool)]
[FeedForward(Hidden = 1024)]
[ClassificationHead(Classes = 4)]
public partial class CompressedEncoder;
