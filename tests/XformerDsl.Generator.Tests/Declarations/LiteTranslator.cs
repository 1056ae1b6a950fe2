using XformerDsl;

namespace Demo.Models
{
    /// <summary>
    /// Lite Transformer's long-short range attention in an encoder-decoder: attention on half the channels, a dynamic
    /// convolution of a kernel size per layer on the other half, and the flattened feed-forward (Hidden = Dim).
    /// </summary>
    [Transformer(Vocab = 64, Dim = 64, Depth = 2, MaxLength = 32, Dropout = 0.1, MultAddsBudget = 20_000_000)]
    [Encoder(Depth = 3, SharedEmbeddings = true)]
    [LongShortRangeAttention(Heads = 2, KernelSizes = new[] { 3, 7, 15 }, Stack = ModelStack.Encoder)]
    [LongShortRangeAttention(Heads = 2, Convolution = ConvolutionKind.Lightweight, KernelSizes = new[] { 3, 5 }, DropConnect = 0.1, Stack = ModelStack.Decoder)]
    [FeedForward(Hidden = 64)]
    [Positions(Kind = PositionEncoding.Sinusoidal)]
    public partial class LiteTranslator
    {
    }
}
