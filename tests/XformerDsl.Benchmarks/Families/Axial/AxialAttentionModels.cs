using XformerDsl;

namespace XformerDsl.Benchmarks;

// Declared only for their generated row and column kernels: axial attention over a 128 × 128 grid (MaxLength 16384),
// 8 heads of size 64 (four along rows, four along columns), causal and bidirectional.

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384)]
[AxialAttention(Heads = 8, Rows = 128, Columns = 128)]
public partial class CausalAxial128;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = false)]
[AxialAttention(Heads = 8, Rows = 128, Columns = 128)]
public partial class BidirectionalAxial128;
