using XformerDsl;

namespace XformerDsl.Benchmarks;

// The model suite's declared model: the architecture a user would otherwise write by hand (HandwrittenTransformer.cs):
// GPT-2's pre-norm frame, width 512, 8 heads of 64, feed-forward 2048, 4 blocks, causal, up to 4096 tokens.

[Transformer(Vocab = 256, Dim = 512, Depth = 4, MaxLength = 4096, Causal = true)]
[FullAttention(Heads = 8)]
[FeedForward(Hidden = 2048)]
public partial class ModelSuiteFull;
