using XformerDsl;

namespace Demo.Models;

// A causal routing language model: in every other layer two heads route to the nearest of 16 centroids and two attend
// to the 128 previous positions; the other layers are sliding windows. Routing to the nearest centroid keeps the model
// causal, so it steps token by token from per-cluster caches.
[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 4096)]
[RoutingAttention(Heads = 4, Clusters = 16, LocalHeads = 2, LocalWindow = 128, Every = 2)]
[SlidingWindowAttention(Heads = 4, Window = 256)]
[FeedForward(Hidden = 1024)]
[Positions(Kind = PositionEncoding.Rotary)]
public partial class RoutingGpt;
