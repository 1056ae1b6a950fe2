using XformerDsl;

namespace Demo.Models;

// The whole Reformer: LSH attention with shared query-keys, reversible blocks, the feed-forward in 16 pieces.
[Transformer(Vocab = 256, Dim = 256, Depth = 6, MaxLength = 16384)]
[LshAttention(Heads = 4, BucketSize = 64, Rounds = 2, Seed = 42)]
[FeedForward(Hidden = 1024, Chunks = 16)]
[Reversible]
public partial class LshReformer;
