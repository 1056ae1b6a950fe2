using XformerDsl;

namespace LongMemoryExample;

/// <summary>
/// The Compressive Transformer over bytes: Transformer-XL's memory of 128 positions and, behind it, 64 slots, each a
/// learned strided convolution of 4 positions that left the memory, so a layer reaches 384 positions back at the cost of
/// 192 keys; the compression is trained by the attention-reconstruction loss.
/// </summary>
[Transformer(Vocab = 256, Dim = 128, Depth = 4, MaxLength = 1152)]
[SegmentRecurrence(Heads = 4, Memory = 128, Compressed = 64, CompressionRatio = 4)]
[Positions(Kind = PositionEncoding.Relative)]
[FeedForward(Hidden = 512)]
public partial class CompressiveByteModel;
