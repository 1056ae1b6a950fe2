using XformerDsl;

namespace LiteTransformerExample;

/// <summary>
/// Lite Transformer (Wu et al., 2020) over characters: long-short range attention in both stacks (half the channels
/// in attention, half in a dynamic convolution, a kernel size per layer) and the flattened feed-forward of the paper
/// (Hidden = Dim). What the flattened feed-forward saves buys a wider model within the same Mult-Adds.
/// </summary>
[Transformer(Vocab = 44, Dim = 96, Depth = 2, MaxLength = 16, TiedEmbeddings = true)]
[Encoder(Depth = 2, MaxLength = 64, SharedEmbeddings = true)]
[LongShortRangeAttention(Heads = 4, KernelSizes = new[] { 3, 7 })]
[FeedForward(Hidden = 96)]
public partial class LiteTranslator;
