using XformerDsl;

namespace Demo.Models
{
    /// <summary>
    /// An encoder–decoder with one shared vocabulary and embedding: full attention in the encoder, T2R's learned
    /// linear kernel in the decoder (the T2R paper's translation setting).
    /// </summary>
    [Transformer(Vocab = 64, Dim = 64, Depth = 2, MaxLength = 32, TiedEmbeddings = true)]
    [Encoder(Depth = 3, MaxLength = 48, SharedEmbeddings = true)]
    [FullAttention(Heads = 4, Stack = ModelStack.Encoder)]
    [LinearAttention(Heads = 4, Kernel = FeatureMap.LearnedRelu, Features = 16, Stack = ModelStack.Decoder)]
    public partial class DateTranslator
    {
    }
}
