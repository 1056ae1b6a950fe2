using XformerDsl;

namespace Demo.Models;

/// <summary>A causal sliding-window decoder: windows of 48 keys dilated by 2, and 2 global tokens (attention sinks).</summary>
[Transformer(Vocab = 256, Dim = 128, Depth = 2, MaxLength = 384)]
[SlidingWindowAttention(Heads = 2, Window = 48, Dilation = 2, GlobalTokens = 2)]
public partial class SlidingWindow;
