using XformerDsl;

[Transformer(Vocab = 64, Dim = 32, Depth = 1, MaxLength = 16)]
[FullAttention(Heads = 2)]
[Positions(Kind = PositionEncoding.None)]
public partial class GlobalNamespaceModel;
