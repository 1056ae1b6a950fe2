using XformerDsl;

namespace Demo.Models;

/// <summary>A bidirectional encoder with blockwise local attention: blocks of 96, each seeing its neighbours.</summary>
[Transformer(Vocab = 256, Dim = 128, Depth = 2, MaxLength = 384, Causal = false)]
[LocalAttention(Heads = 2, Block = 96, Before = 1, After = 1)]
public partial class LocalEncoder;
