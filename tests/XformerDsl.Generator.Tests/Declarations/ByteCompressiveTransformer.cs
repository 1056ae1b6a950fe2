using XformerDsl;

namespace Demo.Models;

// The Compressive Transformer: Transformer-XL's memory of 128 positions per layer, and behind it 128 compressed slots,
// each a strided convolution of 4 positions that left the memory.
[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 128, Causal = true, Dropout = 0.1)]
[SegmentRecurrence(Heads = 4, Memory = 128, Compressed = 128, CompressionRatio = 4)]
[Positions(Kind = PositionEncoding.Relative)]
[FeedForward(Hidden = 1024)]
public partial class ByteCompressiveTransformer;
