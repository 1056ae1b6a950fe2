using XformerDsl;

namespace TinyGptExample;

/// <summary>
/// A GPT-style causal language model over bytes: 4 pre-norm blocks of 4-head softmax attention and a 1024-wide
/// feed-forward network on a 256-wide residual stream, with learned positions up to 1024 tokens. The XformerDsl
/// generator completes this class at compile time as a TorchSharp <c>nn.Module&lt;Tensor, Tensor&gt;</c> from token
/// ids <c>[batch, seq]</c> to logits <c>[batch, seq, 256]</c>, with a static <c>Spec</c> and model <c>Card</c>.
/// </summary>
[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1024, Causal = true)]
[FullAttention(Heads = 4)]
[FeedForward(Hidden = 1024)]
public partial class TinyGpt;
