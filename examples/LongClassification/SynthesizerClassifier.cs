using XformerDsl;

namespace LongClassificationExample;

/// <summary>
/// Synthesizer: logits learned per position pair, factorized as two rank-4 factors (the full random matrix would be
/// 4 · 2,048² per layer, far more than the model), added to the dot products; O(L²).
/// </summary>
[Transformer(Vocab = 15, Dim = 64, Depth = 2, MaxLength = 2048, Causal = false)]
[SynthesizerAttention(Heads = 4, Mode = SynthesizerMode.FactorizedRandom, Factor = 4, DotProduct = true)]
[FeedForward(Hidden = 128)]
[ClassificationHead(Classes = 10, Pooling = Pooling.First)]
public partial class SynthesizerClassifier;
