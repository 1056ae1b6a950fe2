using XformerDsl;

namespace XformerDsl.Benchmarks;

// The generate suite's routing model (the frame of GenerationModels.cs): 16 clusters of windows of 256 per head, so its
// step keeps 16 · 256 keys per head and layer whatever the position.

[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 16384)]
[RoutingAttention(Heads = 4, Clusters = 16, Window = 256)]
public partial class GenerateRouting;
