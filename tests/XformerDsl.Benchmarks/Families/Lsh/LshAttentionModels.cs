using XformerDsl;

namespace XformerDsl.Benchmarks;

// Declared only for their generated LSH chunk kernels: 8 heads of size 32, 64 or 128, chunks of 64, causal and
// bidirectional (the kernel takes its rounds from the rotations it is given). The causal ones keep the paper's chunking,
// whose kernel this is; the default causal window runs on the runtime's LshCausalAttention.

[Transformer(Vocab = 256, Dim = 256, Depth = 1, MaxLength = 16384, Causal = true)]
[LshAttention(Heads = 8, BucketSize = 64, CausalWindow = LshCausalWindow.SortedChunks)]
public partial class CausalLsh32;

[Transformer(Vocab = 256, Dim = 256, Depth = 1, MaxLength = 16384, Causal = false)]
[LshAttention(Heads = 8, BucketSize = 64)]
public partial class BidirectionalLsh32;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = true)]
[LshAttention(Heads = 8, BucketSize = 64, CausalWindow = LshCausalWindow.SortedChunks)]
public partial class CausalLsh64;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = false)]
[LshAttention(Heads = 8, BucketSize = 64)]
public partial class BidirectionalLsh64;

[Transformer(Vocab = 256, Dim = 1024, Depth = 1, MaxLength = 16384, Causal = true)]
[LshAttention(Heads = 8, BucketSize = 64, CausalWindow = LshCausalWindow.SortedChunks)]
public partial class CausalLsh128;

[Transformer(Vocab = 256, Dim = 1024, Depth = 1, MaxLength = 16384, Causal = false)]
[LshAttention(Heads = 8, BucketSize = 64)]
public partial class BidirectionalLsh128;
