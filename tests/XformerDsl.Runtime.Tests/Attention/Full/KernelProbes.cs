using XformerDsl;

namespace XformerDsl.Tests.Attention.Full;

// One-layer models declared only for their generated attention kernels (Model.AttentionKernel). Together they cover
// causal and bidirectional schedules, head sizes that need no padding (64, 128: two column panels), need padding
// (24 → 32, 8 → 16) or end in a one-vector panel (80), and tiles shrunk to a short MaxLength (40: 40 × 48 tiles).

[Transformer(Vocab = 4, Dim = 64, Depth = 1, MaxLength = 512)]
[FullAttention(Heads = 1)]
public partial class CausalHead64;

[Transformer(Vocab = 4, Dim = 64, Depth = 1, MaxLength = 512, Causal = false)]
[FullAttention(Heads = 1)]
public partial class BidirectionalHead64;

[Transformer(Vocab = 4, Dim = 24, Depth = 1, MaxLength = 512)]
[FullAttention(Heads = 1)]
public partial class CausalHead24;

[Transformer(Vocab = 4, Dim = 80, Depth = 1, MaxLength = 512, Causal = false)]
[FullAttention(Heads = 1)]
public partial class BidirectionalHead80;

[Transformer(Vocab = 4, Dim = 128, Depth = 1, MaxLength = 256)]
[FullAttention(Heads = 1)]
public partial class CausalHead128;

[Transformer(Vocab = 4, Dim = 8, Depth = 1, MaxLength = 40)]
[FullAttention(Heads = 1)]
public partial class CausalHead8Short;

[Transformer(Vocab = 4, Dim = 8, Depth = 1, MaxLength = 40, Causal = false)]
[FullAttention(Heads = 1)]
public partial class BidirectionalHead8Short;
