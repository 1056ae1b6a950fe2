using XformerDsl;

namespace Demo.Models
{
    /// <summary>A sequence classifier: a bidirectional encoder, mean pooling over the real tokens, RoBERTa's head.</summary>
    [Transformer(Vocab = 256, Dim = 64, Depth = 2, MaxLength = 128, Causal = false, Dropout = 0.1)]
    [FullAttention(Heads = 4)]
    [ClassificationHead(Classes = 3)]
    public partial class SentimentClassifier
    {
    }
}
