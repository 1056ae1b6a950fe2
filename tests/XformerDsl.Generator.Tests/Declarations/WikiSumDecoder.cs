using XformerDsl;

namespace Demo.Models;

// Liu et al. (2018)'s decoder: local attention and memory-compressed attention in alternate layers, keys and values of
// the compressed layers in slots of 3 positions by a strided convolution, a null key for the first queries.
[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 4096)]
[LocalAttention(Heads = 4, Block = 256)]
[CompressedAttention(Heads = 4, Ratio = 3, Every = 2)]
[FeedForward(Hidden = 1024)]
public partial class WikiSumDecoder;
