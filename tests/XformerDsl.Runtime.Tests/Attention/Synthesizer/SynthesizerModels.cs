namespace XformerDsl.Tests.Attention.Synthesizer;

/// <summary>A causal random synthesizer: a bias-only kernel, head size 8 (padded to 16), MaxLength 12.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 12, Causal = true)]
[SynthesizerAttention(Heads = 2)]
[FeedForward(Hidden = 16)]
public partial class TinyRandomSynthesizer;

/// <summary>A bidirectional random synthesizer mixed with dot products (LRA's unweighted sum): the kernel with queries, keys and a bias.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 12, Causal = false)]
[SynthesizerAttention(Heads = 2, DotProduct = true)]
[FeedForward(Hidden = 16)]
[ClassificationHead(Classes = 2)]
public partial class TinyMixedSynthesizer;

/// <summary>A causal dense synthesizer: per-batch logits from each token alone.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 12, Causal = true)]
[SynthesizerAttention(Heads = 4, Mode = SynthesizerMode.Dense)]
[FeedForward(Hidden = 16)]
public partial class TinyDenseSynthesizer;

/// <summary>A causal factorized random synthesizer (rank 3) mixed with dot products.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 12, Causal = true)]
[SynthesizerAttention(Heads = 2, Mode = SynthesizerMode.FactorizedRandom, Factor = 3, DotProduct = true)]
[FeedForward(Hidden = 16)]
public partial class TinyFactorizedRandomSynthesizer;

/// <summary>A bidirectional factorized dense synthesizer (3 × 4 = MaxLength 12) in the paper's learned mixture with dot products.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 12, Causal = false)]
[SynthesizerAttention(Heads = 2, Mode = SynthesizerMode.FactorizedDense, Factor = 3, DotProduct = true, LearnedMixture = true)]
[FeedForward(Hidden = 16)]
[ClassificationHead(Classes = 2)]
public partial class TinyFactorizedDenseSynthesizer;
