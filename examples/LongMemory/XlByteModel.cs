using XformerDsl;

namespace LongMemoryExample;

/// <summary>
/// Transformer-XL over bytes: trained on segments of 128 with a memory of 128 positions per layer. MaxLength 1,152 lets
/// the same model also read a segment and the 1,024 bytes before it in one forward, the recomputation the memory saves.
/// </summary>
[Transformer(Vocab = 256, Dim = 128, Depth = 4, MaxLength = 1152)]
[SegmentRecurrence(Heads = 4, Memory = 128)]
[Positions(Kind = PositionEncoding.Relative)]
[FeedForward(Hidden = 512)]
public partial class XlByteModel;
