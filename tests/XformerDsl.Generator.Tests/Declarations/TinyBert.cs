using XformerDsl;

namespace Demo.Models
{
    /// <summary>A masked language model over bytes plus [MASK] (token 256), with the output matrix tied to the embedding as in BERT.</summary>
    [Transformer(Vocab = 257, Dim = 64, Depth = 2, MaxLength = 128, Causal = false, TiedEmbeddings = true)]
    [FullAttention(Heads = 4)]
    [Normalization(Placement = NormPlacement.Post)]
    [MaskedLanguageModelHead(MaskToken = 256)]
    public partial class TinyBert
    {
    }
}
