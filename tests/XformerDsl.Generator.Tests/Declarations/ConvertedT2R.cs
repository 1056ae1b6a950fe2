using XformerDsl;

namespace Demo.Models;

// Swap-then-finetune (T2R): a softmax model and the learned-feature linear attention model converted from it.
[Transformer(Vocab = 256, Dim = 128, Depth = 2, MaxLength = 512)]
[FullAttention(Heads = 4)]
[Positions(Kind = PositionEncoding.Rotary)]
public partial class SoftmaxSource;

[Transformer(Vocab = 256, Dim = 128, Depth = 2, MaxLength = 512)]
[LinearAttention(Heads = 4, Kernel = FeatureMap.LearnedRelu, Features = 32)]
[Positions(Kind = PositionEncoding.Rotary)]
[ConvertsFrom(typeof(SoftmaxSource))]
public partial class ConvertedT2R;
