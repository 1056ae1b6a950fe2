using XformerDsl;

namespace LongContextExample;

/// <summary>
/// The same frame with Reformer's LSH attention in every layer: each query attends, in each of two hashing rounds, to
/// itself and the 64 latest earlier bytes that hash to its bucket (the causal window that depends on earlier bytes only,
/// so the model generates token by token from per-bucket caches).
/// </summary>
[Transformer(Vocab = 256, Dim = 128, Depth = 4, MaxLength = 8192)]
[LshAttention(Heads = 2, BucketSize = 64, Rounds = 2)]
[FeedForward(Hidden = 512)]
[Positions(Kind = PositionEncoding.Rotary)]
public partial class LshByteModel;
