using XformerDsl;

namespace LongContextExample;

/// <summary>The same model with full attention in every layer: the baseline the windowed model is compared with.</summary>
[Transformer(Vocab = 256, Dim = 128, Depth = 4, MaxLength = 8192)]
[FullAttention(Heads = 2)]
[FeedForward(Hidden = 512)]
[Positions(Kind = PositionEncoding.Rotary)]
public partial class FullByteModel;
