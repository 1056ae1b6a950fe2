namespace XformerDsl.Tests.Attention.Compressed;

/// <summary>Memory-compressed attention in an encoder with a classification head: convolution, Ratio 3 of MaxLength 12.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 12, Causal = false)]
[CompressedAttention(Heads = 2, Ratio = 3)]
[FeedForward(Hidden = 16)]
[ClassificationHead(Classes = 2)]
public partial class TinyCompressedClassifier;

/// <summary>Bidirectional, Ratio 1: with identity filters and no biases, full attention.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 1, MaxLength = 12, Causal = false, Bias = false)]
[CompressedAttention(Heads = 4, Ratio = 1)]
[FeedForward(Hidden = 16)]
[ClassificationHead(Classes = 2)]
public partial class TinyRatioOneEncoder;

/// <summary>A causal language model with mean-pooled slots of 4, local attention in the other layer, as the paper alternates them.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 24)]
[LocalAttention(Heads = 2, Block = 4, Before = 1)]
[CompressedAttention(Heads = 2, Ratio = 4, Compression = MemoryCompression.MeanPool, Every = 2)]
[FeedForward(Hidden = 16)]
public partial class TinyCompressedLm;

/// <summary>A causal language model of convolution-compressed layers, Ratio 3, whose kernel tiles (MaxLength 200) span several slots' queries.</summary>
[Transformer(Vocab = 16, Dim = 32, Depth = 2, MaxLength = 200)]
[CompressedAttention(Heads = 2, Ratio = 3)]
[FeedForward(Hidden = 16)]
public partial class TinyConvCompressedLm;
