using XformerDsl;

namespace XformerDsl.Benchmarks;

// Declared only for their generated block-sparse kernels: 8 heads of size 64, MaxLength 16384 (64 × 64 tiles), causal
// and bidirectional; sliding windows of 128, 256 and 512 keys, and local blocks of 64, 128 and 256 seeing the previous
// block (and, bidirectional, the next).

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384)]
[SlidingWindowAttention(Heads = 8, Window = 128)]
public partial class CausalSliding128;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384)]
[SlidingWindowAttention(Heads = 8, Window = 256)]
public partial class CausalSliding256;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384)]
[SlidingWindowAttention(Heads = 8, Window = 512)]
public partial class CausalSliding512;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = false)]
[SlidingWindowAttention(Heads = 8, Window = 128)]
public partial class BidirectionalSliding128;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = false)]
[SlidingWindowAttention(Heads = 8, Window = 256)]
public partial class BidirectionalSliding256;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = false)]
[SlidingWindowAttention(Heads = 8, Window = 512)]
public partial class BidirectionalSliding512;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384)]
[LocalAttention(Heads = 8, Block = 64, Before = 1)]
public partial class CausalLocal64;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384)]
[LocalAttention(Heads = 8, Block = 128, Before = 1)]
public partial class CausalLocal128;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384)]
[LocalAttention(Heads = 8, Block = 256, Before = 1)]
public partial class CausalLocal256;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = false)]
[LocalAttention(Heads = 8, Block = 64, Before = 1, After = 1)]
public partial class BidirectionalLocal64;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = false)]
[LocalAttention(Heads = 8, Block = 128, Before = 1, After = 1)]
public partial class BidirectionalLocal128;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = false)]
[LocalAttention(Heads = 8, Block = 256, Before = 1, After = 1)]
public partial class BidirectionalLocal256;

// The Sparse Transformer's patterns at MaxLength 4096 with stride 64 = √4096 (their strided and summary columns touch
// most key tiles, so longer sequences are not where they shine on a tiled kernel).

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 4096)]
[SparseAttention(Heads = 8, Stride = 64)]
public partial class CausalStrided64;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 4096, Causal = false)]
[SparseAttention(Heads = 8, Stride = 64)]
public partial class BidirectionalStrided64;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 4096)]
[SparseAttention(Heads = 8, Stride = 64, Mode = SparsePattern.Fixed, Summary = 8)]
public partial class CausalFixed64;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 4096, Causal = false)]
[SparseAttention(Heads = 8, Stride = 64, Mode = SparsePattern.Fixed, Summary = 8)]
public partial class BidirectionalFixed64;

// BigBird with blocks of 64 (BigBird's defaults otherwise), at MaxLength 16384.

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384)]
[BigBirdAttention(Heads = 8, Block = 64, Seed = 1)]
public partial class CausalBigBird64;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = false)]
[BigBirdAttention(Heads = 8, Block = 64, Seed = 1)]
public partial class BidirectionalBigBird64;
