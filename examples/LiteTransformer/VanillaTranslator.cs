using XformerDsl;

namespace LiteTransformerExample;

/// <summary>
/// The baseline: a vanilla encoder–decoder (Vaswani et al., 2017) over characters, full attention in both stacks and the
/// usual 4 × Dim feed-forward, one embedding shared by source, target and output head.
/// </summary>
[Transformer(Vocab = 44, Dim = 64, Depth = 2, MaxLength = 16, TiedEmbeddings = true)]
[Encoder(Depth = 2, MaxLength = 64, SharedEmbeddings = true)]
[FullAttention(Heads = 4)]
[FeedForward(Hidden = 256)]
public partial class VanillaTranslator;
