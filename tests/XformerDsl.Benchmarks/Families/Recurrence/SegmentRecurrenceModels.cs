using XformerDsl;

namespace XformerDsl.Benchmarks;

// Declared only for its generated attention kernel: 8 heads of size 64 over a memory and the segment, causal, MaxLength
// 16384 as the other families' benchmark models. The kernel reads the memory's length from its keys, so one
// declaration serves every --memory.

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384)]
[SegmentRecurrence(Heads = 8, Memory = 1024)]
[Positions(Kind = PositionEncoding.Relative)]
public partial class SegmentRecurrent64;
