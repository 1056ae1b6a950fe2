using XformerDsl;

namespace LongMemoryExample;

/// <summary>
/// The same frame without recurrence: full causal attention over one window of 128 bytes with rotary positions, trained
/// on random windows and evaluated on each segment alone.
/// </summary>
[Transformer(Vocab = 256, Dim = 128, Depth = 4, MaxLength = 128)]
[FullAttention(Heads = 4)]
[Positions(Kind = PositionEncoding.Rotary)]
[FeedForward(Hidden = 512)]
public partial class WindowByteModel;
