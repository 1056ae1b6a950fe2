using XformerDsl;

namespace Demo.Models
{
    /// <summary>A bidirectional encoder with fixed sinusoidal positions and post-norm, as in the original Transformer.</summary>
    [Transformer(Vocab = 1000, Dim = 128, Depth = 2, MaxLength = 512, Causal = false, Dropout = 0.1)]
    [FullAttention(Heads = 8)]
    [FeedForward(Activation = Activation.Relu)]
    [Positions(Kind = PositionEncoding.Sinusoidal)]
    [Normalization(Placement = NormPlacement.Post)]
    public partial class BertStyleEncoder
    {
    }
}
