using XformerDsl;

namespace Demo.Models;

/// <summary>
/// Layers mixing attention declarations: 4 heads in most layers, 8 heads in every third layer, 2 heads in the first.
/// </summary>
[Transformer(Vocab = 256, Dim = 256, Depth = 6, MaxLength = 2048)]
[FullAttention(Heads = 4)]
[FullAttention(Heads = 8, Every = 3)]
[FullAttention(Heads = 2, Layers = new[] { 0 })]
public partial class Hybrid;
