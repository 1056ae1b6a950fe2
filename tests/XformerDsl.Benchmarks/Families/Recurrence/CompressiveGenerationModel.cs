using XformerDsl;

namespace XformerDsl.Benchmarks;

// The generate suite's Compressive Transformer (the frame of GenerationModels.cs, relative positions as the family needs):
// a memory of 256 positions and 128 slots of 4 behind it, so its step keeps 259 + 128 inputs per layer whatever the
// position, and reaches back 256 + 4 · 128 = 768 positions per layer.

[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 16384)]
[SegmentRecurrence(Heads = 4, Memory = 256, Compressed = 128, CompressionRatio = 4)]
[Positions(Kind = PositionEncoding.Relative)]
public partial class GenerateCompressive;
