namespace XformerDsl.Specs
{
    /// <summary>
    /// The value of every optional argument when a declaration leaves it out. The attributes initialise their
    /// properties from here and the generator resolves omitted arguments from here: one default, one place.
    /// </summary>
    public static class SpecDefaults
    {
        /// <summary>Default of <see cref="TransformerAttribute.Causal"/>: a causal (autoregressive) decoder.</summary>
        public const bool Causal = true;

        /// <summary>Default of <see cref="TransformerAttribute.Bias"/>: every Linear and LayerNorm has a bias.</summary>
        public const bool Bias = true;

        /// <summary>Default of <see cref="TransformerAttribute.TiedEmbeddings"/>: the output head has its own matrix.</summary>
        public const bool TiedEmbeddings = false;

        /// <summary>Default of <see cref="TransformerAttribute.Dropout"/>: no dropout.</summary>
        public const double Dropout = 0.0;

        /// <summary>Default of <see cref="FeedForwardAttribute.Hidden"/> is this multiple of Dim (the Transformer and GPT-2 ratio).</summary>
        public const int HiddenPerDim = 4;

        /// <summary>Default of <see cref="FeedForwardAttribute.Activation"/>.</summary>
        public const Activation Activation = XformerDsl.Activation.Gelu;

        /// <summary>Default of <see cref="FeedForwardAttribute.Chunks"/>: the whole sequence at once.</summary>
        public const int FeedForwardChunks = 1;

        /// <summary>Default of <see cref="PositionsAttribute.Kind"/>: a learned position table.</summary>
        public const PositionEncoding Positions = PositionEncoding.Learned;

        /// <summary>Default of <see cref="PositionsAttribute.RotaryBase"/>: the RoFormer value.</summary>
        public const double RotaryBase = 10000.0;

        /// <summary>Default of <see cref="NormalizationAttribute.Kind"/>.</summary>
        public const NormKind Norm = NormKind.LayerNorm;

        /// <summary>Default of <see cref="NormalizationAttribute.Placement"/>: pre-norm.</summary>
        public const NormPlacement Placement = NormPlacement.Pre;

        /// <summary>Default of <see cref="NormalizationAttribute.Epsilon"/>: PyTorch's LayerNorm default.</summary>
        public const double Epsilon = 1e-5;

        /// <summary>Default of <see cref="ClassificationHeadAttribute.Pooling"/>: the mean over the real tokens.</summary>
        public const Pooling Pooling = XformerDsl.Pooling.Mean;

        /// <summary>Default of <see cref="TransformerAttribute.SentenceLength"/>: Lite Transformer's 30 tokens.</summary>
        public const int SentenceLength = 30;

        /// <summary>Default of <see cref="EncoderAttribute.SharedEmbeddings"/>: the encoder and the decoder embed apart.</summary>
        public const bool SharedEmbeddings = false;
    }
}
