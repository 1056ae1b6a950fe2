using XformerDsl;

namespace LongContextExample;

/// <summary>
/// The same frame with Routing attention in every layer, as the paper's best configurations mix heads: one head routes
/// (each byte joins its nearest of 32 centroids, learned by online k-means, and attends to the 256 latest earlier bytes
/// of that cluster), the other attends to the 256 bytes before it. The k-means commitment loss is added by the trainer.
/// </summary>
[Transformer(Vocab = 256, Dim = 128, Depth = 4, MaxLength = 8192)]
[RoutingAttention(Heads = 2, Clusters = 32, LocalHeads = 1, LocalWindow = 256)]
[FeedForward(Hidden = 512)]
[Positions(Kind = PositionEncoding.Rotary)]
public partial class RoutingByteModel;
