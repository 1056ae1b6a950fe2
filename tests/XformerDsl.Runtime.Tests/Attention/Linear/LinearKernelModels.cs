using XformerDsl;

namespace XformerDsl.Tests.Attention.Linear;

// One-layer models declared for their generated linear attention kernels (Model.SelfAttention.Kernel). Together they
// cover causal and bidirectional forms, features equal to the head size (elu + 1) or not (FAVOR+, T2R), sizes that need
// padding to whole vectors (24 features, head size 8 or 24), and a chunk shrunk by a short MaxLength (20: chunks of 32).

[Transformer(Vocab = 4, Dim = 64, Depth = 1, MaxLength = 4096)]
[LinearAttention(Heads = 1)]
public partial class CausalLinearHead64;

[Transformer(Vocab = 4, Dim = 64, Depth = 1, MaxLength = 4096, Causal = false)]
[LinearAttention(Heads = 1)]
public partial class BidirectionalLinearHead64;

[Transformer(Vocab = 4, Dim = 16, Depth = 1, MaxLength = 512)]
[LinearAttention(Heads = 1, Kernel = FeatureMap.Favor, Features = 24)]
public partial class CausalFavorHead16;

[Transformer(Vocab = 4, Dim = 24, Depth = 1, MaxLength = 512, Causal = false)]
[LinearAttention(Heads = 1, Kernel = FeatureMap.LearnedRelu, Features = 40)]
public partial class BidirectionalT2RHead24;

[Transformer(Vocab = 4, Dim = 8, Depth = 1, MaxLength = 20)]
[LinearAttention(Heads = 1, Kernel = FeatureMap.LearnedRelu, Features = 12)]
public partial class CausalT2RHead8Short;
