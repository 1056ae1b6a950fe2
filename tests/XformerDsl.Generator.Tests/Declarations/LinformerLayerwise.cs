using XformerDsl;

namespace Snapshots;

// Linformer's layerwise sharing: one E = F for every low-rank layer, owned by the model; layer 1 is full attention, so the
// layer class of the low-rank declaration is built by AttentionOfLayer with a reader of the model's projection.
[Transformer(Vocab = 256, Dim = 128, Depth = 3, MaxLength = 512, Causal = false)]
[LowRankAttention(Heads = 4, ProjectedLength = 64, Sharing = LowRankSharing.Layerwise)]
[FullAttention(Heads = 4, Layers = new[] { 1 })]
[FeedForward(Hidden = 512)]
public partial class LinformerLayerwise;
