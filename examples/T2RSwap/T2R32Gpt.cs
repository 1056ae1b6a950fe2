using XformerDsl;

namespace T2RSwapExample;

// Every model of the comparison (the file is named after the main T2R model, whose generated source is snapshotted).
// One frame for all: 2 layers of width 128, 4 heads of size 32, rotary positions, and a
// MaxLength of 4,096 so that generation can run that far (rotary positions have no table to outgrow). Only the attention
// differs; [ConvertsFrom] makes the generator check at compile time that each linear model shares every other weight
// with SoftmaxGpt, and emit its ConvertFrom(SoftmaxGpt, out newParameters).

/// <summary>The softmax model pretrained first, and the teacher of the distilled run.</summary>
[Transformer(Vocab = 256, Dim = 128, Depth = 2, MaxLength = 4096)]
[FullAttention(Heads = 4)]
[Positions(Kind = PositionEncoding.Rotary)]
public partial class SoftmaxGpt;

/// <summary>T2R (Kasai et al., 2021): learned features φ(x) = relu(W x + b), 8 per head.</summary>
[Transformer(Vocab = 256, Dim = 128, Depth = 2, MaxLength = 4096)]
[LinearAttention(Heads = 4, Kernel = FeatureMap.LearnedRelu, Features = 8)]
[Positions(Kind = PositionEncoding.Rotary)]
[ConvertsFrom(typeof(SoftmaxGpt))]
public partial class T2R8Gpt;

/// <summary>T2R with 16 learned features per head.</summary>
[Transformer(Vocab = 256, Dim = 128, Depth = 2, MaxLength = 4096)]
[LinearAttention(Heads = 4, Kernel = FeatureMap.LearnedRelu, Features = 16)]
[Positions(Kind = PositionEncoding.Rotary)]
[ConvertsFrom(typeof(SoftmaxGpt))]
public partial class T2R16Gpt;

/// <summary>T2R with 32 learned features per head (the head size): the main comparison's T2R.</summary>
[Transformer(Vocab = 256, Dim = 128, Depth = 2, MaxLength = 4096)]
[LinearAttention(Heads = 4, Kernel = FeatureMap.LearnedRelu, Features = 32)]
[Positions(Kind = PositionEncoding.Rotary)]
[ConvertsFrom(typeof(SoftmaxGpt))]
public partial class T2R32Gpt;

/// <summary>T2R with 64 learned features per head.</summary>
[Transformer(Vocab = 256, Dim = 128, Depth = 2, MaxLength = 4096)]
[LinearAttention(Heads = 4, Kernel = FeatureMap.LearnedRelu, Features = 64)]
[Positions(Kind = PositionEncoding.Rotary)]
[ConvertsFrom(typeof(SoftmaxGpt))]
public partial class T2R64Gpt;

/// <summary>The parameter-free map elu(x) + 1 (Katharopoulos et al., 2020): 32 features, the head size.</summary>
[Transformer(Vocab = 256, Dim = 128, Depth = 2, MaxLength = 4096)]
[LinearAttention(Heads = 4, Kernel = FeatureMap.Elu)]
[Positions(Kind = PositionEncoding.Rotary)]
[ConvertsFrom(typeof(SoftmaxGpt))]
public partial class EluGpt;

/// <summary>FAVOR+ random features (Choromanski et al., 2021), 32 per head, one fixed draw.</summary>
[Transformer(Vocab = 256, Dim = 128, Depth = 2, MaxLength = 4096)]
[LinearAttention(Heads = 4, Kernel = FeatureMap.Favor, Features = 32)]
[Positions(Kind = PositionEncoding.Rotary)]
[ConvertsFrom(typeof(SoftmaxGpt))]
public partial class FavorGpt;
