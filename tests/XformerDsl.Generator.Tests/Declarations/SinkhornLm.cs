using XformerDsl;

namespace Demo.Models;

// Sparse Sinkhorn attention in a causal language model: blocks of 64, each attending to a block softly sorted from the
// blocks before it and to its own earlier keys; the paper's 7 iterations and temperature 0.75.
[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 4096)]
[SinkhornAttention(Heads = 4, Block = 64)]
[FeedForward(Hidden = 1024)]
public partial class SinkhornLm;
