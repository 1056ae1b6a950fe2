using XformerDsl;

namespace XformerDsl.Tests.Attention.Linear;

// Tiny models of every feature map, declared as a user would; the generator completes them at build time.

[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 40)]
[LinearAttention(Heads = 2)]
[FeedForward(Hidden = 32)]
public partial class TinyLinearElu;

[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 40, Causal = false)]
[LinearAttention(Heads = 2, Kernel = FeatureMap.Relu)]
[FeedForward(Hidden = 32)]
public partial class TinyLinearReluEncoder;

[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 40)]
[LinearAttention(Heads = 2, Kernel = FeatureMap.Favor, Features = 24, RedrawEvery = 3, Seed = 7)]
[FeedForward(Hidden = 32)]
public partial class TinyPerformer;

[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 40)]
[LinearAttention(Heads = 2, Kernel = FeatureMap.LearnedRelu, Features = 12)]
[FeedForward(Hidden = 32)]
[Positions(Kind = PositionEncoding.Rotary)]
[ConvertsFrom(typeof(TinySoftmaxForT2R))]
public partial class TinyT2R;

[Transformer(Vocab = 16, Dim = 12, Depth = 2, MaxLength = 40, Dropout = 0.1)]
[LinearAttention(Heads = 3)]
[LinearAttention(Heads = 2, Kernel = FeatureMap.LearnedRelu, Features = 5, Layers = new[] { 1 })]
[Positions(Kind = PositionEncoding.Sinusoidal)]
[Normalization(Placement = NormPlacement.Post)]
public partial class TinyLinearSinusoidalPostNorm;
