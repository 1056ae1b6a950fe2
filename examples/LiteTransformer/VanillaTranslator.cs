using XformerDsl;

namespace LiteTransformerExample;

/// <summary>
/// The baseline: a vanilla encoder–decoder (Vaswani et al., 2017) over characters, full attention in both stacks and the
/// usual 4 × Dim feed-forward, one embedding shared by source, target and output head. Declared with the same Mult-Adds
/// budget as <c>LiteTranslator</c>: 7,461,120 Mult-Adds per sentence of 30 source and 30 target tokens, within
/// 7,500,000 (the compiler checks it, XF0089), so Dim 64 is as wide as it gets at this depth.
/// </summary>
[Transformer(Vocab = 44, Dim = 64, Depth = 2, MaxLength = 16, TiedEmbeddings = true, MultAddsBudget = 7_500_000, SentenceLength = 30)]
[Encoder(Depth = 2, MaxLength = 64, SharedEmbeddings = true)]
[FullAttention(Heads = 4)]
[FeedForward(Hidden = 256)]
public partial class VanillaTranslator;
