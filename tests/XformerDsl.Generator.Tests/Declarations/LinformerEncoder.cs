using XformerDsl;

namespace Demo.Models;

// Linformer: keys and values projected along the length to 256 rows, one E and one F per layer shared by the heads.
[Transformer(Vocab = 257, Dim = 256, Depth = 4, MaxLength = 4096, Causal = false)]
[LowRankAttention(Heads = 4, ProjectedLength = 256)]
[FeedForward(Hidden = 1024)]
[MaskedLanguageModelHead(MaskToken = 256)]
public partial class LinformerEncoder;
