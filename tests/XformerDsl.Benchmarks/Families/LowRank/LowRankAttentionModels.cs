using XformerDsl;

namespace XformerDsl.Benchmarks;

// Declared only for its generated attention kernel: 8 heads of size 64 attending to 256 projected keys, bidirectional
// (the family refuses causal models), MaxLength 16384 as the other families' benchmark models.

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = false)]
[LowRankAttention(Heads = 8, ProjectedLength = 256)]
public partial class BidirectionalLowRank64;
