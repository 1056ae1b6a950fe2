namespace XformerDsl.Tests.Attention.LowRank;

/// <summary>Linformer as an encoder with a classification head: E and F per layer, odd sizes (k = 5 of MaxLength 12).</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 12, Causal = false)]
[LowRankAttention(Heads = 2, ProjectedLength = 5)]
[FeedForward(Hidden = 16)]
[ClassificationHead(Classes = 2)]
public partial class TinyLinformerClassifier;

/// <summary>Linformer with one projection for keys and values (E = F) and k = MaxLength, so E can be the identity.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 12, Causal = false)]
[LowRankAttention(Heads = 4, ProjectedLength = 12, Sharing = LowRankSharing.KeyValue)]
[FeedForward(Hidden = 16)]
[ClassificationHead(Classes = 2)]
public partial class TinyKeyValueLinformer;

/// <summary>An encoder–decoder whose encoder is Linformer (k = 6 of the source's 12 positions) and whose decoder is full attention.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 1, MaxLength = 10)]
[Encoder(Depth = 2, MaxLength = 12)]
[LowRankAttention(Heads = 2, ProjectedLength = 6, Stack = ModelStack.Encoder)]
[FullAttention(Heads = 2, Stack = ModelStack.Decoder)]
[FeedForward(Hidden = 16)]
public partial class TinyLinformerTranslator;

/// <summary>
/// Linformer with layerwise sharing: one E = F (k = 5) owned by the model for its two low-rank layers; layer 1 is full
/// attention, so the shared projection skips a layer.
/// </summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 3, MaxLength = 12, Causal = false)]
[LowRankAttention(Heads = 2, ProjectedLength = 5, Sharing = LowRankSharing.Layerwise)]
[FullAttention(Heads = 2, Layers = new[] { 1 })]
[FeedForward(Hidden = 16)]
[ClassificationHead(Classes = 2)]
public partial class TinyLayerwiseLinformer;
