using XformerDsl;

namespace ReformerExample;

/// <summary>
/// Reformer (Kitaev, Kaiser &amp; Levskaya, 2020) over 16,384-byte contexts: LSH attention with shared query-keys (8 heads
/// of 32, chunks of 64, 2 hashing rounds), reversible blocks so activation memory does not grow with depth, and the
/// feed-forward in 16 pieces so its 1,024-wide hidden layer never exists for the whole sequence at once. Sinusoidal
/// positions: a learned table would have 16,384 rows to learn.
/// </summary>
[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 16384)]
[LshAttention(Heads = 8, BucketSize = 64, Rounds = 2)]
[FeedForward(Hidden = 1024, Chunks = 16)]
[Positions(Kind = PositionEncoding.Sinusoidal)]
[Reversible]
public partial class ByteReformer;
