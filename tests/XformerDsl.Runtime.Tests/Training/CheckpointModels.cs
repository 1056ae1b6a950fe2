using XformerDsl;

// The same model declared three times under one name, as a user editing the declaration between a save and a load would
// see it: the saved version, then one with Causal = false, then one with another activation. The weights of all three have
// the same names and shapes, so only the spec tells them apart.

namespace XformerDsl.Tests.Training.Saved
{
    /// <summary>The model as it was when the checkpoint was saved.</summary>
    [Transformer(Vocab = 16, Dim = 8, Depth = 1, MaxLength = 8, Dropout = 0.1)]
    [FullAttention(Heads = 2)]
    [FeedForward(Hidden = 16)]
    public partial class CkptGpt;
}

namespace XformerDsl.Tests.Training.EditedCausal
{
    /// <summary>The same declaration with Causal = false.</summary>
    [Transformer(Vocab = 16, Dim = 8, Depth = 1, MaxLength = 8, Dropout = 0.1, Causal = false)]
    [FullAttention(Heads = 2)]
    [FeedForward(Hidden = 16)]
    public partial class CkptGpt;
}

namespace XformerDsl.Tests.Training.EditedActivation
{
    /// <summary>The same declaration with ReLU instead of GELU.</summary>
    [Transformer(Vocab = 16, Dim = 8, Depth = 1, MaxLength = 8, Dropout = 0.1)]
    [FullAttention(Heads = 2)]
    [FeedForward(Hidden = 16, Activation = Activation.Relu)]
    public partial class CkptGpt;
}
