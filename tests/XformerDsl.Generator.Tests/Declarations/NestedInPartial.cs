using XformerDsl;

namespace Demo.Zoo;

public static partial class Models
{
    public partial record Catalog
    {
        [Transformer(Vocab = 128, Dim = 64, Depth = 2, MaxLength = 128)]
        [FullAttention(Heads = 4)]
        public partial class Nested;
    }
}
