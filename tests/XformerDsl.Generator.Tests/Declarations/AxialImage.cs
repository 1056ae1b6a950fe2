using XformerDsl;

namespace Demo.Models;

/// <summary>A causal axial model over a 16 × 16 grid: two heads along rows, two along columns.</summary>
[Transformer(Vocab = 256, Dim = 128, Depth = 2, MaxLength = 256)]
[AxialAttention(Heads = 4, Rows = 16, Columns = 16)]
public partial class AxialImage;
