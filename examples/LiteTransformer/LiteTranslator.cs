using XformerDsl;

namespace LiteTransformerExample;

/// <summary>
/// Lite Transformer (Wu et al., 2020) over characters: long-short range attention in both stacks (half the channels in
/// attention, half in a dynamic convolution, kernel size 3 in the first layer of each stack and 7 in the second) and
/// the flattened feed-forward of the paper (Hidden = Dim). What the flattened feed-forward saves buys a wider model,
/// Dim 96 against the vanilla model's 64, within the same budget of 7,500,000 Mult-Adds per sentence (it costs 7,110,720) of 30 source and 30
/// target tokens (the compiler checks it, XF0089).
/// </summary>
[Transformer(Vocab = 44, Dim = 96, Depth = 2, MaxLength = 16, TiedEmbeddings = true, MultAddsBudget = 7_500_000, SentenceLength = 30)]
[Encoder(Depth = 2, MaxLength = 64, SharedEmbeddings = true)]
[LongShortRangeAttention(Heads = 4, KernelSizes = new[] { 3, 7 })]
[FeedForward(Hidden = 96)]
public partial class LiteTranslator;
