using XformerDsl;

namespace XformerDsl.Tests.Attention.Patterns;

// One-layer models declared for their generated block-sparse kernels. Blocks, windows and dilations are chosen so that
// the layouts mix full pairs, partial pairs and skipped pairs, with blocks that do not line up with the 64-key tiles, a
// last tile cut short (MaxLength 300), and tiny tiles for the float64 finite-difference checks.

[Transformer(Vocab = 4, Dim = 32, Depth = 1, MaxLength = 256)]
[LocalAttention(Heads = 2, Block = 32, Before = 1)]
public partial class LocalCausal;

[Transformer(Vocab = 4, Dim = 24, Depth = 1, MaxLength = 288, Causal = false)]
[LocalAttention(Heads = 1, Block = 48, Before = 1, After = 1)]
public partial class LocalBidirectional;

[Transformer(Vocab = 4, Dim = 8, Depth = 1, MaxLength = 24)]
[LocalAttention(Heads = 1, Block = 4, Before = 1)]
public partial class LocalCausalShort;

[Transformer(Vocab = 4, Dim = 32, Depth = 1, MaxLength = 256)]
[SlidingWindowAttention(Heads = 2, Window = 40, Dilation = 2, GlobalTokens = 3)]
public partial class SlidingCausal;

[Transformer(Vocab = 4, Dim = 64, Depth = 1, MaxLength = 300, Causal = false)]
[SlidingWindowAttention(Heads = 1, Window = 51, GlobalTokens = 2)]
public partial class SlidingBidirectional;

[Transformer(Vocab = 4, Dim = 16, Depth = 1, MaxLength = 256)]
[SlidingWindowAttention(Heads = 1, Window = 64)]
public partial class SlidingCausalPlain;

[Transformer(Vocab = 4, Dim = 8, Depth = 1, MaxLength = 40, Causal = false)]
[SlidingWindowAttention(Heads = 1, Window = 4, Dilation = 3, GlobalTokens = 1)]
public partial class SlidingBidirectionalShort;

[Transformer(Vocab = 4, Dim = 32, Depth = 1, MaxLength = 256)]
[SparseAttention(Heads = 2, Stride = 24)]
public partial class StridedCausal;

[Transformer(Vocab = 4, Dim = 16, Depth = 1, MaxLength = 200, Causal = false)]
[SparseAttention(Heads = 1, Stride = 40, Mode = SparsePattern.Fixed, Summary = 3)]
public partial class FixedBidirectional;

[Transformer(Vocab = 4, Dim = 8, Depth = 1, MaxLength = 30)]
[SparseAttention(Heads = 1, Stride = 5, Mode = SparsePattern.Fixed, Summary = 2)]
public partial class FixedCausalShort;

[Transformer(Vocab = 4, Dim = 32, Depth = 1, MaxLength = 480)]
[BigBirdAttention(Heads = 2, Block = 32, WindowBlocks = 3, GlobalBlocks = 1, RandomBlocks = 2, Seed = 7)]
public partial class BigBirdCausal;

[Transformer(Vocab = 4, Dim = 16, Depth = 1, MaxLength = 96, Causal = false)]
[BigBirdAttention(Heads = 1, Block = 8, WindowBlocks = 3, GlobalBlocks = 1, RandomBlocks = 2, Seed = 3)]
public partial class BigBirdBidirectional;
