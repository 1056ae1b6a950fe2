using XformerDsl;

namespace LongContextExample;

/// <summary>
/// A byte-level causal model over 8,192-token contexts with sliding-window attention: each query sees the 256 bytes
/// ending at itself plus the first byte (a global token, an attention sink) in the first three layers, and every earlier
/// byte in the fourth (full attention every fourth layer, as hybrid long-context models do). Rotary positions, so no
/// position table has to learn 8,192 rows.
/// </summary>
[Transformer(Vocab = 256, Dim = 128, Depth = 4, MaxLength = 8192)]
[SlidingWindowAttention(Heads = 2, Window = 256, GlobalTokens = 1)]
[FullAttention(Heads = 2, Every = 4)]
[FeedForward(Hidden = 512)]
[Positions(Kind = PositionEncoding.Rotary)]
public partial class WindowedByteModel;
