using XformerDsl;

namespace XformerDsl.Tests.Reformer;

/// <summary>LSH attention in a causal model, with rotary positions on the shared query-keys.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 32)]
[LshAttention(Heads = 2, BucketSize = 4, Rounds = 2, Seed = 3)]
[FeedForward(Hidden = 32)]
[Positions(Kind = PositionEncoding.Rotary)]
public partial class TinyLsh;

/// <summary>The whole Reformer: LSH attention, reversible blocks, chunked feed-forward, dropout.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 32, Dropout = 0.1)]
[LshAttention(Heads = 2, BucketSize = 4, Rounds = 2)]
[FeedForward(Hidden = 32, Chunks = 4)]
[Reversible]
public partial class TinyReformer;

/// <summary>Causal LSH with the paper's chunking: later tokens move the chunk boundaries, so it has no stepping API.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 1, MaxLength = 32)]
[LshAttention(Heads = 2, BucketSize = 4, CausalWindow = LshCausalWindow.SortedChunks)]
[FeedForward(Hidden = 32)]
public partial class ChunkedLsh;
