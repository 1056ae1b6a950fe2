namespace XformerDsl.Tests.Attention.Recurrence;

/// <summary>
/// A tiny Compressive Transformer: segments of up to 12 tokens, a memory of 4 positions per layer and 3 compressed slots
/// of 2 positions each behind it, compressed by a convolution; pre-norm.
/// </summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 12)]
[SegmentRecurrence(Heads = 2, Memory = 4, Compressed = 3, CompressionRatio = 2)]
[Positions(Kind = PositionEncoding.Relative)]
[FeedForward(Hidden = 32)]
public partial class TinyCompressiveTransformer;

/// <summary>Mean pooling (no parameters), post-norm RMSNorm, no biases, half-weighted reconstruction loss.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 12, Bias = false)]
[SegmentRecurrence(Heads = 4, Memory = 4, Compressed = 3, CompressionRatio = 2, Compression = CompressionFunction.MeanPool, ReconstructionWeight = 0.5)]
[Positions(Kind = PositionEncoding.Relative)]
[Normalization(Kind = NormKind.RmsNorm, Placement = NormPlacement.Post)]
[FeedForward(Hidden = 32)]
public partial class TinyMeanPooledCompressive;
