using XformerDsl;

namespace Demo.Models;

/// <summary>A causal Sparse Transformer with the fixed pattern: blocks of 64, the last 4 positions of each summarise it.</summary>
[Transformer(Vocab = 256, Dim = 128, Depth = 2, MaxLength = 256)]
[SparseAttention(Heads = 2, Stride = 64, Mode = SparsePattern.Fixed, Summary = 4)]
public partial class SparseFixed;
