using XformerDsl;

namespace ReformerExample;

/// <summary>
/// The same model with full softmax attention in place of LSH (XformerDsl's fused kernel, whose memory grows linearly
/// with the sequence but whose time grows with its square): for one measured step, the contrast in time.
/// </summary>
[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 16384)]
[FullAttention(Heads = 8)]
[FeedForward(Hidden = 1024, Chunks = 16)]
[Positions(Kind = PositionEncoding.Sinusoidal)]
[Reversible]
public partial class FullAttentionByteReformer;
