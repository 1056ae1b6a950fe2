using XformerDsl;

namespace Demo.Models;

// A causal LSH language model with rotary positions: each query attends to the latest keys of its own bucket, so the
// model steps token by token from per-bucket caches.
[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 4096)]
[LshAttention(Heads = 4, BucketSize = 32, Rounds = 2, Seed = 7)]
[FeedForward(Hidden = 1024)]
[Positions(Kind = PositionEncoding.Rotary)]
public partial class CausalLshGpt;
