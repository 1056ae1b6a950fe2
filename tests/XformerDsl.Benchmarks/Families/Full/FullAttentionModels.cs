using XformerDsl;

namespace XformerDsl.Benchmarks;

// Declared only for their generated attention kernels: 8 heads of size 32, 64 or 128, causal and bidirectional, with
// MaxLength 16384 so the tiles are the full 64 × 64 a long-sequence model gets.

[Transformer(Vocab = 256, Dim = 256, Depth = 1, MaxLength = 16384, Causal = true)]
[FullAttention(Heads = 8)]
public partial class CausalFull32;

[Transformer(Vocab = 256, Dim = 256, Depth = 1, MaxLength = 16384, Causal = false)]
[FullAttention(Heads = 8)]
public partial class BidirectionalFull32;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = true)]
[FullAttention(Heads = 8)]
public partial class CausalFull64;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = false)]
[FullAttention(Heads = 8)]
public partial class BidirectionalFull64;

[Transformer(Vocab = 256, Dim = 1024, Depth = 1, MaxLength = 16384, Causal = true)]
[FullAttention(Heads = 8)]
public partial class CausalFull128;

[Transformer(Vocab = 256, Dim = 1024, Depth = 1, MaxLength = 16384, Causal = false)]
[FullAttention(Heads = 8)]
public partial class BidirectionalFull128;
