using XformerDsl;

namespace Demo.Models;

// Reformer's memory savers on full attention: reversible blocks with dropout and rotary positions, the feed-forward in 8 pieces.
[Transformer(Vocab = 256, Dim = 128, Depth = 6, MaxLength = 4096, Dropout = 0.1)]
[FullAttention(Heads = 4)]
[FeedForward(Hidden = 512, Chunks = 8)]
[Positions(Kind = PositionEncoding.Rotary)]
[Reversible]
public partial class ByteReformer;
