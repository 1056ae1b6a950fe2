using XformerDsl;

namespace Demo.Models;

// T2R's translation setting: a softmax encoder-decoder, and the model converted from it with the decoder's
// self-attention swapped for a learned linear kernel (the encoder and the cross-attention stay softmax).
[Transformer(Vocab = 64, Dim = 64, Depth = 2, MaxLength = 32)]
[Encoder(Depth = 2, SharedEmbeddings = true)]
[FullAttention(Heads = 4)]
public partial class SoftmaxTranslator;

[Transformer(Vocab = 64, Dim = 64, Depth = 2, MaxLength = 32)]
[Encoder(Depth = 2, SharedEmbeddings = true)]
[FullAttention(Heads = 4, Stack = ModelStack.Encoder)]
[LinearAttention(Heads = 4, Kernel = FeatureMap.LearnedRelu, Features = 16, Stack = ModelStack.Decoder)]
[ConvertsFrom(typeof(SoftmaxTranslator))]
public partial class ConvertedTranslator;
