using XformerDsl;

namespace T2RSwapExample;

/// <summary>The softmax model trained first: a small byte-level GPT with rotary positions.</summary>
[Transformer(Vocab = 256, Dim = 128, Depth = 2, MaxLength = 1024)]
[FullAttention(Heads = 4)]
[Positions(Kind = PositionEncoding.Rotary)]
public partial class SoftmaxGpt;

/// <summary>
/// The same frame with T2R's learned-feature linear attention (32 features per head). The generator checks the frames
/// match at compile time and emits <c>LinearGpt.ConvertFrom(SoftmaxGpt, out newParameters)</c>.
/// </summary>
[Transformer(Vocab = 256, Dim = 128, Depth = 2, MaxLength = 1024)]
[LinearAttention(Heads = 4, Kernel = FeatureMap.LearnedRelu, Features = 32)]
[Positions(Kind = PositionEncoding.Rotary)]
[ConvertsFrom(typeof(SoftmaxGpt))]
public partial class LinearGpt;
