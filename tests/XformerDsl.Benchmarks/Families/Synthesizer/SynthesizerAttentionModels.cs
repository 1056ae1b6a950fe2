using XformerDsl;

namespace XformerDsl.Benchmarks;

// Declared only for their generated attention kernels: 8 heads of size 64, MaxLength 16384 as the other families'
// benchmark models; a pure synthesizer's bias-only kernel and a mixture's query-key-and-bias kernel, causal and
// bidirectional. The kernel does not depend on the mode, so the declarations use the factorized one (a random mode at
// this MaxLength would be 2 G parameters, XF0114).

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = true)]
[SynthesizerAttention(Heads = 8, Mode = SynthesizerMode.FactorizedRandom, Factor = 4)]
public partial class CausalSynthesizer64;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = false)]
[SynthesizerAttention(Heads = 8, Mode = SynthesizerMode.FactorizedRandom, Factor = 4)]
public partial class BidirectionalSynthesizer64;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = true)]
[SynthesizerAttention(Heads = 8, Mode = SynthesizerMode.FactorizedRandom, Factor = 4, DotProduct = true)]
public partial class CausalMixedSynthesizer64;

[Transformer(Vocab = 256, Dim = 512, Depth = 1, MaxLength = 16384, Causal = false)]
[SynthesizerAttention(Heads = 8, Mode = SynthesizerMode.FactorizedRandom, Factor = 4, DotProduct = true)]
public partial class BidirectionalMixedSynthesizer64;
