using XformerDsl;

namespace XformerDsl.Benchmarks;

// Declared only for its generated cross-attention kernel (Decoder.CrossAttention.Kernel): an encoder–decoder whose
// cross-attention has 8 heads of size 64, with target and source MaxLength 16384 so the tiles are the full 64 × 64 a
// long-sequence model gets. The decoder is causal, as an encoder–decoder's must be; its cross-attention never is.

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384)]
[Encoder(Depth = 1, MaxLength = 16384)]
[FullAttention(Heads = 8)]
public partial class Cross64;
