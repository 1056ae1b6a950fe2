using XformerDsl;

namespace XformerDsl.Tests.Attention.Routing;

// Declared for the model-level tests; being causal language models, the causal property and step tests cover them too.

/// <summary>Two heads route to the nearest of 8 centroids (window 128 / 8 = 16), two attend to the 12 previous positions.</summary>
[Transformer(Vocab = 32, Dim = 64, Depth = 2, MaxLength = 128)]
[RoutingAttention(Heads = 4, Clusters = 8, LocalHeads = 2, LocalWindow = 12)]
[Positions(Kind = PositionEncoding.Rotary)]
public partial class RoutingLm;

/// <summary>Routing in layer 1 only (every head routes, window 8), a sliding window in layer 0.</summary>
[Transformer(Vocab = 32, Dim = 64, Depth = 2, MaxLength = 96)]
[RoutingAttention(Heads = 2, Clusters = 4, Window = 8, Layers = new[] { 1 })]
[SlidingWindowAttention(Heads = 2, Window = 16)]
public partial class RoutingHybridLm;
