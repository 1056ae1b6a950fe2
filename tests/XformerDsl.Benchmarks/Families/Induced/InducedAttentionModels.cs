using XformerDsl;

namespace XformerDsl.Benchmarks;

// Declared only for its generated attention kernel: 8 heads of size 64, bidirectional (the family refuses causal
// models), MaxLength 16384 as the other families' benchmark models; the kernel serves any number of points up to it.

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = false)]
[InducedAttention(Heads = 8, Points = 32)]
public partial class BidirectionalInduced64;
