using XformerDsl;

namespace XformerDsl.Benchmarks;

// Declared only for their generated block kernels: 8 heads of size 64, blocks of 64, MaxLength 16384 as the other
// families' benchmark models.

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384)]
[SinkhornAttention(Heads = 8, Block = 64)]
public partial class CausalSinkhorn64;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = false)]
[SinkhornAttention(Heads = 8, Block = 64)]
public partial class BidirectionalSinkhorn64;
