using XformerDsl;

namespace XformerDsl.Benchmarks;

// The generate suite's models: one frame (Dim 256, 4 heads of 64, 4 layers, MaxLength 16384), each attention family.
// Their weights are random: the suite measures speed and memory, not text.

[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 16384)]
[FullAttention(Heads = 4)]
public partial class GenerateFull;

[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 16384)]
[LinearAttention(Heads = 4)]
public partial class GenerateLinear;

[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 16384)]
[LinearAttention(Heads = 4, Kernel = FeatureMap.Favor, Features = 64)]
public partial class GeneratePerformer;

[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 16384)]
[LinearAttention(Heads = 4, Kernel = FeatureMap.LearnedRelu, Features = 32)]
public partial class GenerateT2R;

[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 16384)]
[SlidingWindowAttention(Heads = 4, Window = 256)]
public partial class GenerateSliding;

[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 16384)]
[LocalAttention(Heads = 4, Block = 128, Before = 1)]
public partial class GenerateLocal;

[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 16384)]
[SparseAttention(Heads = 4, Stride = 128)]
public partial class GenerateStrided;

[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 16384)]
[BigBirdAttention(Heads = 4, Block = 64)]
public partial class GenerateBigBird;

[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 16384)]
[LshAttention(Heads = 4, BucketSize = 64, Rounds = 2)]
public partial class GenerateLsh;
