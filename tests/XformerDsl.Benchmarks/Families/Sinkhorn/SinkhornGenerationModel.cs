using XformerDsl;

namespace XformerDsl.Benchmarks;

// The generate suite's Sinkhorn model (the frame of GenerationModels.cs): causal blocks of 64 with the paper's 7
// iterations, so each step attends to at most 128 keys and each 64th sorts a block from all the blocks before it.

[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 16384)]
[SinkhornAttention(Heads = 4, Block = 64)]
public partial class GenerateSinkhorn;
