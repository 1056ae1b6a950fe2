namespace XformerDsl.Tests.Attention.Recurrence;

/// <summary>A tiny Transformer-XL: segments of up to 12 tokens, a memory of 8 positions per layer, pre-norm.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 12)]
[SegmentRecurrence(Heads = 2, Memory = 8)]
[Positions(Kind = PositionEncoding.Relative)]
[FeedForward(Hidden = 32)]
public partial class TinyTransformerXl;

/// <summary>Post-norm, RMSNorm, clamped distances and same-length attention over a memory of 4.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 12, Bias = false)]
[SegmentRecurrence(Heads = 4, Memory = 4, ClampLength = 5, SameLength = true)]
[Positions(Kind = PositionEncoding.Relative)]
[Normalization(Kind = NormKind.RmsNorm, Placement = NormPlacement.Post)]
[FeedForward(Hidden = 32)]
public partial class TinySameLengthXl;
