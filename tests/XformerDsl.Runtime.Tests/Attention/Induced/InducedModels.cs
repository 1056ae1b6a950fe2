namespace XformerDsl.Tests.Attention.Induced;

/// <summary>A set classifier: no positions, so the encoder is permutation-equivariant; m = 3 points, attention pooling.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 12, Causal = false)]
[InducedAttention(Heads = 2, Points = 3)]
[FeedForward(Hidden = 16)]
[Positions(Kind = PositionEncoding.None)]
[ClassificationHead(Classes = 3, Pooling = Pooling.Attention)]
public partial class TinySetClassifier;

/// <summary>Inducing points in a sequence classifier with learned positions and RMSNorm: m = 5 of MaxLength 12, 4 heads, mean pooling.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 12, Causal = false, Bias = false)]
[InducedAttention(Heads = 4, Points = 5)]
[FeedForward(Hidden = 16)]
[Normalization(Kind = NormKind.RmsNorm)]
[ClassificationHead(Classes = 2)]
public partial class TinyInducedClassifier;

/// <summary>Attention pooling over full attention without positions: the pooled vector is a set function of the tokens.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 1, MaxLength = 12, Causal = false)]
[FullAttention(Heads = 4)]
[FeedForward(Hidden = 16)]
[Positions(Kind = PositionEncoding.None)]
[ClassificationHead(Classes = 2, Pooling = Pooling.Attention)]
public partial class TinyAttentionPooledClassifier;
