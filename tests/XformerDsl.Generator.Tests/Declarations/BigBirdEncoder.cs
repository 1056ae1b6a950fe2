using XformerDsl;

namespace Demo.Models;

/// <summary>A bidirectional BigBird encoder: blocks of 32, a 3-block window, 1 global block, 2 random blocks drawn from seed 42.</summary>
[Transformer(Vocab = 256, Dim = 128, Depth = 2, MaxLength = 256, Causal = false)]
[BigBirdAttention(Heads = 2, Block = 32, WindowBlocks = 3, GlobalBlocks = 1, RandomBlocks = 2, Seed = 42)]
public partial class BigBirdEncoder;
