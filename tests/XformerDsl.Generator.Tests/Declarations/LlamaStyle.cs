using XformerDsl;

namespace Demo.Models;

// Rotary positions, RMSNorm, SwiGLU, tied embeddings and no biases: the LLaMA recipe at toy scale.
[Transformer(Vocab = 512, Dim = 192, Depth = 3, MaxLength = 2048, Bias = false, TiedEmbeddings = true)]
[FullAttention(Heads = 6)]
[FeedForward(Hidden = 512, Activation = Activation.SwiGlu)]
[Positions(Kind = PositionEncoding.Rotary, RotaryBase = 500000)]
[Normalization(Kind = NormKind.RmsNorm, Epsilon = 1e-6)]
internal sealed partial class LlamaStyle;
