namespace XformerDsl.Tests.Attention.Sinkhorn;

/// <summary>A causal Sinkhorn language model: 8 blocks of 4, two heads of 8; the causality property runs over it.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 32)]
[SinkhornAttention(Heads = 2, Block = 4, Iterations = 5)]
[FeedForward(Hidden = 16)]
public partial class TinySinkhornLm;

/// <summary>A bidirectional Sinkhorn classifier: 8 blocks of 4, the paper's 7 iterations and temperature 0.75.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 2, MaxLength = 32, Causal = false)]
[SinkhornAttention(Heads = 2, Block = 4)]
[FeedForward(Hidden = 16)]
[ClassificationHead(Classes = 2)]
public partial class TinySinkhornClassifier;

/// <summary>SortCut: every query attends to the first 3 of 8 sorted blocks of 4.</summary>
[Transformer(Vocab = 16, Dim = 16, Depth = 1, MaxLength = 32, Causal = false)]
[SinkhornAttention(Heads = 2, Block = 4, SortCut = 3)]
[FeedForward(Hidden = 16)]
[ClassificationHead(Classes = 2)]
public partial class TinySortCutClassifier;

/// <summary>Whole kernel tiles: causal blocks of 16, head size 16, a high temperature.</summary>
[Transformer(Vocab = 8, Dim = 32, Depth = 1, MaxLength = 64)]
[SinkhornAttention(Heads = 2, Block = 16, Iterations = 3, Temperature = 2)]
[FeedForward(Hidden = 16)]
public partial class SinkhornKernel16;
