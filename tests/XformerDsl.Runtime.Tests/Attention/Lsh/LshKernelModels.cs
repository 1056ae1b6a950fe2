using XformerDsl;

namespace XformerDsl.Tests.Attention.Lsh;

// Declared for their generated LSH chunk kernels: chunks that fill the 16-wide score tile and chunks that do not.

/// <summary>Causal with the paper's chunking, chunks of 16, head size 32.</summary>
[Transformer(Vocab = 16, Dim = 64, Depth = 1, MaxLength = 128)]
[LshAttention(Heads = 2, BucketSize = 16, Rounds = 2, CausalWindow = LshCausalWindow.SortedChunks)]
public partial class LshKernel16;

/// <summary>Bidirectional, chunks of 20 (a tile of 32 with 12 hidden columns), head size 24.</summary>
[Transformer(Vocab = 16, Dim = 48, Depth = 1, MaxLength = 160, Causal = false)]
[LshAttention(Heads = 2, BucketSize = 20, Rounds = 3)]
public partial class LshKernel20;
