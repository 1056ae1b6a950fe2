using XformerDsl;

namespace XformerDsl.Benchmarks;

// The memory suite's models: one architecture (width 256, 4 heads of 64, feed-forward 1024 in 8 pieces, causal, up to
// 8192 tokens) at depth 2 and 12, with plain residual blocks and with [Reversible].

[Transformer(Vocab = 256, Dim = 256, Depth = 2, MaxLength = 8192)]
[FullAttention(Heads = 4)]
[FeedForward(Hidden = 1024, Chunks = 8)]
public partial class MemoryPlain2;

[Transformer(Vocab = 256, Dim = 256, Depth = 12, MaxLength = 8192)]
[FullAttention(Heads = 4)]
[FeedForward(Hidden = 1024, Chunks = 8)]
public partial class MemoryPlain12;

[Transformer(Vocab = 256, Dim = 256, Depth = 2, MaxLength = 8192)]
[FullAttention(Heads = 4)]
[FeedForward(Hidden = 1024, Chunks = 8)]
[Reversible]
public partial class MemoryReversible2;

[Transformer(Vocab = 256, Dim = 256, Depth = 12, MaxLength = 8192)]
[FullAttention(Heads = 4)]
[FeedForward(Hidden = 1024, Chunks = 8)]
[Reversible]
public partial class MemoryReversible12;
