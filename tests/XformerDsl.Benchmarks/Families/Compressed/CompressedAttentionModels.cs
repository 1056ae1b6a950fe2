using XformerDsl;

namespace XformerDsl.Benchmarks;

// Declared only for their generated attention kernels: 8 heads of size 64, MaxLength 16384 as the other families'
// benchmark models. The bidirectional kernel does not depend on the ratio (every slot is visible); the causal kernel
// compiles the slot rule's ratio in, so there is one model per ratio --ratio accepts with --causal true.

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = false)]
[CompressedAttention(Heads = 8, Ratio = 4)]
public partial class BidirectionalCompressed64;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384)]
[CompressedAttention(Heads = 8, Ratio = 2)]
public partial class CausalCompressedRatio2;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384)]
[CompressedAttention(Heads = 8, Ratio = 3)]
public partial class CausalCompressedRatio3;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384)]
[CompressedAttention(Heads = 8, Ratio = 4)]
public partial class CausalCompressedRatio4;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384)]
[CompressedAttention(Heads = 8, Ratio = 8)]
public partial class CausalCompressedRatio8;
