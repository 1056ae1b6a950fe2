using XformerDsl;

namespace Demo.Models;

[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1024, Causal = true)]
[FullAttention(Heads = 4)]
[FeedForward(Hidden = 1024)]
public partial class TinyGpt;
