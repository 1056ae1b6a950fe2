using XformerDsl;

namespace Demo.Models;

// Transformer-XL: segments of up to 128 bytes, each layer attending to a memory of the 128 positions before the segment
// with relative positions.
[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 128, Causal = true, Dropout = 0.1)]
[SegmentRecurrence(Heads = 4, Memory = 128)]
[Positions(Kind = PositionEncoding.Relative)]
[FeedForward(Hidden = 1024)]
public partial class ByteTransformerXl;
