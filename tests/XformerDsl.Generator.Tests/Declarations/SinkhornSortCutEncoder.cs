using XformerDsl;

namespace Demo.Models;

// Sinkhorn attention with SortCut in an encoder: every query attends to the first 4 sorted blocks of 128.
[Transformer(Vocab = 256, Dim = 256, Depth = 2, MaxLength = 2048, Causal = false)]
[SinkhornAttention(Heads = 4, Block = 128, SortCut = 4, Iterations = 5)]
[FeedForward(Hidden = 512)]
[ClassificationHead(Classes = 4)]
public partial class SinkhornSortCutEncoder;
