using XformerDsl;

namespace Demo.Models;

// A causal random synthesizer (Tay et al., 2021): learned [4, 256, 256] logits per layer, no queries or keys.
[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 256, Causal = true)]
[SynthesizerAttention(Heads = 4)]
[FeedForward(Hidden = 1024)]
public partial class RandomSynthesizerGpt;
