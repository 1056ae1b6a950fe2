using XformerDsl;

namespace Demo.Models;

// Set Transformer: 32 inducing points per layer (ISAB), no positions (a set encoder), attention pooling (PMA) for the head.
[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 4096, Causal = false)]
[InducedAttention(Heads = 8, Points = 32)]
[FeedForward(Hidden = 1024)]
[Positions(Kind = PositionEncoding.None)]
[ClassificationHead(Classes = 10, Pooling = Pooling.Attention)]
public partial class SetTransformerClassifier;
