using XformerDsl;

namespace XformerDsl.Tests.Reformer;

// Pairs of tiny models that differ only in [FeedForward(Chunks)] or [Reversible]; the parameter names are the same, so
// one model's weights load into the other.

/// <summary>The feed-forward in 4 pieces of 3 positions, with the same weights as <see cref="TinyUnchunked"/>.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 12)]
[FullAttention(Heads = 2)]
[FeedForward(Hidden = 32, Chunks = 4)]
public partial class TinyChunked;

/// <summary>The same model with the feed-forward over the whole sequence.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 12)]
[FullAttention(Heads = 2)]
[FeedForward(Hidden = 32)]
public partial class TinyUnchunked;

/// <summary>Reversible, with dropout, rotary positions, SwiGLU in chunks and RMSNorm: every part the recomputation must replay.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 3, MaxLength = 12, Dropout = 0.2)]
[FullAttention(Heads = 2)]
[FeedForward(Hidden = 24, Activation = Activation.SwiGlu, Chunks = 3)]
[Positions(Kind = PositionEncoding.Rotary)]
[Normalization(Kind = NormKind.RmsNorm)]
[Reversible]
public partial class TinyReversible;

/// <summary>Reversible with layers mixing attention declarations, learned positions and LayerNorm; bidirectional.</summary>
[Transformer(Vocab = 12, Dim = 8, Depth = 4, MaxLength = 10, Causal = false)]
[FullAttention(Heads = 2)]
[FullAttention(Heads = 4, Every = 2)]
[FeedForward(Hidden = 16)]
[Reversible]
public partial class TinyReversibleHybrid;
