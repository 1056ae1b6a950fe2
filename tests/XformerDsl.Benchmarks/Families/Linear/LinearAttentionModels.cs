using XformerDsl;

namespace XformerDsl.Benchmarks;

// Declared only for their generated linear attention kernels: 8 heads of size 64, causal and bidirectional, with the
// elu + 1 map (64 features), FAVOR+ (64 random features) and T2R (32 learned features).

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = true)]
[LinearAttention(Heads = 8)]
public partial class CausalLinear64;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = false)]
[LinearAttention(Heads = 8)]
public partial class BidirectionalLinear64;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = true)]
[LinearAttention(Heads = 8, Kernel = FeatureMap.Favor, Features = 64)]
public partial class CausalPerformer64;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = false)]
[LinearAttention(Heads = 8, Kernel = FeatureMap.Favor, Features = 64)]
public partial class BidirectionalPerformer64;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = true)]
[LinearAttention(Heads = 8, Kernel = FeatureMap.LearnedRelu, Features = 32)]
public partial class CausalT2R64;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = false)]
[LinearAttention(Heads = 8, Kernel = FeatureMap.LearnedRelu, Features = 32)]
public partial class BidirectionalT2R64;
