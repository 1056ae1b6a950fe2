using XformerDsl;

namespace XformerDsl.Tests.Models;

// Tiny models declared exactly as a user would; the generator completes them at build time.
// Together they cover every frame option: positions, norms, placements, activations, bias, tying, dropout.

/// <summary>GPT-2 style: learned positions, pre-norm LayerNorm, GELU, biases, separate output head.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 12)]
[FullAttention(Heads = 2)]
[FeedForward(Hidden = 32)]
public partial class TinyGpt2;

/// <summary>LLaMA style: rotary positions, RMSNorm, SwiGLU, no biases, tied embeddings.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 12, Bias = false, TiedEmbeddings = true)]
[FullAttention(Heads = 4)]
[FeedForward(Hidden = 24, Activation = Activation.SwiGlu)]
[Positions(Kind = PositionEncoding.Rotary)]
[Normalization(Kind = NormKind.RmsNorm)]
public partial class TinyLlama;

/// <summary>Original-Transformer style encoder: bidirectional, sinusoidal positions, post-norm, ReLU.</summary>
[Transformer(Vocab = 16, Dim = 12, Depth = 2, MaxLength = 12, Causal = false)]
[FullAttention(Heads = 3)]
[FeedForward(Activation = Activation.Relu)]
[Positions(Kind = PositionEncoding.Sinusoidal)]
[Normalization(Placement = NormPlacement.Post)]
public partial class TinyEncoder;

/// <summary>No biases but an untied head, learned positions, RMSNorm post-norm.</summary>
[Transformer(Vocab = 20, Dim = 8, Depth = 1, MaxLength = 6, Bias = false)]
[FullAttention(Heads = 1)]
[Normalization(Kind = NormKind.RmsNorm, Placement = NormPlacement.Post)]
public partial class TinyNoBias;

/// <summary>Tied embeddings with biases everywhere else and no position information.</summary>
[Transformer(Vocab = 10, Dim = 8, Depth = 1, MaxLength = 6, TiedEmbeddings = true, Dropout = 0.5)]
[FullAttention(Heads = 2)]
[FeedForward(Hidden = 8, Activation = Activation.SwiGlu)]
[Positions(Kind = PositionEncoding.None)]
public partial class TinyTiedWithDropout;

/// <summary>Layers mixing attention declarations: 2 heads in most layers, 4 heads in every second layer, 1 head in layer 0.</summary>
[Transformer(Vocab = 12, Dim = 8, Depth = 4, MaxLength = 10)]
[FullAttention(Heads = 2)]
[FullAttention(Heads = 4, Every = 2)]
[FullAttention(Heads = 1, Layers = new[] { 0 })]
[FeedForward(Hidden = 16)]
public partial class TinyHybrid;

/// <summary>A classifier: bidirectional, mean pooling, 3 classes, dropout.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 12, Causal = false, Dropout = 0.1)]
[FullAttention(Heads = 2)]
[FeedForward(Hidden = 32)]
[ClassificationHead(Classes = 3)]
public partial class TinyClassifier;

/// <summary>A classifier pooling the first token, no biases, RMSNorm.</summary>
[Transformer(Vocab = 16, Dim = 8, Depth = 1, MaxLength = 10, Causal = false, Bias = false)]
[FullAttention(Heads = 2)]
[Normalization(Kind = NormKind.RmsNorm)]
[ClassificationHead(Classes = 2, Pooling = Pooling.First)]
public partial class TinyFirstTokenClassifier;

/// <summary>A masked language model with a tied output matrix and its own output bias.</summary>
[Transformer(Vocab = 17, Dim = 16, Depth = 2, MaxLength = 12, Causal = false, TiedEmbeddings = true)]
[FullAttention(Heads = 2)]
[MaskedLanguageModelHead(MaskToken = 16)]
public partial class TinyMaskedLanguageModel;

/// <summary>A masked language model with an untied output matrix, post-norm.</summary>
[Transformer(Vocab = 17, Dim = 8, Depth = 1, MaxLength = 12, Causal = false)]
[FullAttention(Heads = 2)]
[Normalization(Placement = NormPlacement.Post)]
[MaskedLanguageModelHead(MaskToken = 16)]
public partial class TinyUntiedMaskedLanguageModel;

/// <summary>An encoder–decoder with separate vocabularies and lengths, full attention in both stacks.</summary>
[Transformer(Vocab = 14, Dim = 16, Depth = 2, MaxLength = 10)]
[Encoder(Depth = 1, Vocab = 18, MaxLength = 13)]
[FullAttention(Heads = 2)]
[FeedForward(Hidden = 32)]
public partial class TinyTranslator;

/// <summary>An encoder–decoder sharing one tied embedding, a linear-attention decoder and rotary positions.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 1, MaxLength = 10, TiedEmbeddings = true)]
[Encoder(Depth = 2, SharedEmbeddings = true, CrossAttentionHeads = 4)]
[FullAttention(Heads = 2, Stack = ModelStack.Encoder)]
[LinearAttention(Heads = 2, Stack = ModelStack.Decoder)]
[Positions(Kind = PositionEncoding.Rotary)]
public partial class TinySharedTranslator;

/// <summary>Lite Transformer as a language model: dynamic convolutions of kernel sizes 3 and 4 (causal allows even), learned positions.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 12)]
[LongShortRangeAttention(Heads = 2, KernelSizes = new[] { 3, 4 })]
[FeedForward(Hidden = 16)]
public partial class TinyLiteLanguageModel;

/// <summary>Lite Transformer as an encoder with a classification head: lightweight convolution, an uneven split, one kernel size for all layers.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 12, Causal = false)]
[LongShortRangeAttention(Heads = 2, AttentionWidth = 4, Convolution = ConvolutionKind.Lightweight, KernelSizes = new[] { 5 }, KernelHeads = 3)]
[FeedForward(Hidden = 16)]
[ClassificationHead(Classes = 2)]
public partial class TinyLiteClassifier;

/// <summary>Lite Transformer as an encoder-decoder: the paper's default kernel sizes, shared embeddings, rotary positions.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 12, TiedEmbeddings = true)]
[Encoder(Depth = 3, SharedEmbeddings = true)]
[LongShortRangeAttention(Heads = 2)]
[FeedForward(Hidden = 16)]
[Positions(Kind = PositionEncoding.Rotary)]
public partial class TinyLiteTranslator;

/// <summary>T2R's translation setting: TinyTranslator with its decoder's self-attention swapped for a learned linear kernel.</summary>
[Transformer(Vocab = 14, Dim = 16, Depth = 2, MaxLength = 10)]
[Encoder(Depth = 1, Vocab = 18, MaxLength = 13)]
[FullAttention(Heads = 2, Stack = ModelStack.Encoder)]
[LinearAttention(Heads = 2, Kernel = FeatureMap.LearnedRelu, Features = 8, Stack = ModelStack.Decoder)]
[FeedForward(Hidden = 32)]
[ConvertsFrom(typeof(TinyTranslator))]
public partial class TinyT2RTranslator;
