using XformerDsl;

namespace Demo.Models;

/// <summary>Longformer's per-head dilation: two heads see the 32 nearest keys, one every second key, one every fourth.</summary>
[Transformer(Vocab = 256, Dim = 128, Depth = 2, MaxLength = 512, Causal = false)]
[SlidingWindowAttention(Heads = 4, Window = 33, Dilations = new[] { 1, 1, 2, 4 }, GlobalTokens = 1)]
public partial class DilatedPerHead;
