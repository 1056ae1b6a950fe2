namespace XformerDsl.Specs
{
    /// <summary>
    /// The supported range of every size argument. The upper bounds are far beyond what trains on a CPU; they exist so
    /// that parameter and MAC counts stay exact in 64-bit integers and a typo such as <c>Dim = 2560000</c> is caught.
    /// </summary>
    public static class SpecLimits
    {
        /// <summary><see cref="TransformerAttribute.Vocab"/>: 1 to 2^24.</summary>
        public static SizeLimit Vocab { get; } = new SizeLimit("Transformer", "Vocab", 1, 1 << 24, 256);

        /// <summary><see cref="TransformerAttribute.Dim"/>: 1 to 2^16.</summary>
        public static SizeLimit Dim { get; } = new SizeLimit("Transformer", "Dim", 1, 1 << 16, 256);

        /// <summary><see cref="TransformerAttribute.Depth"/>: 1 to 1024.</summary>
        public static SizeLimit Depth { get; } = new SizeLimit("Transformer", "Depth", 1, 1 << 10, 4);

        /// <summary><see cref="TransformerAttribute.MaxLength"/>: 1 to 2^20.</summary>
        public static SizeLimit MaxLength { get; } = new SizeLimit("Transformer", "MaxLength", 1, 1 << 20, 1024);

        /// <summary>Heads of any attention family: 1 to 1024.</summary>
        public static SizeLimit Heads { get; } = new SizeLimit("Attention", "Heads", 1, 1 << 10, 4);

        /// <summary><see cref="FeedForwardAttribute.Hidden"/>: 1 to 2^20.</summary>
        public static SizeLimit Hidden { get; } = new SizeLimit("FeedForward", "Hidden", 1, 1 << 20, 1024);

        /// <summary><see cref="FeedForwardAttribute.Chunks"/>: 1 to 2^20 (and a divisor of MaxLength, XF0070).</summary>
        public static SizeLimit Chunks { get; } = new SizeLimit("FeedForward", "Chunks", 1, 1 << 20, 8);
        /// <summary><see cref="TransformerAttribute.SentenceLength"/>: 1 to 2^20.</summary>
        public static SizeLimit SentenceLength { get; } = new SizeLimit("Transformer", "SentenceLength", 1, 1 << 20, 30);
        /// <summary><see cref="ClassificationHeadAttribute.Classes"/>: 1 to 2^20.</summary>
        public static SizeLimit Classes { get; } = new SizeLimit("ClassificationHead", "Classes", 1, 1 << 20, 2);
        /// <summary><see cref="EncoderAttribute.Depth"/>: 1 to 1024.</summary>
        public static SizeLimit EncoderDepth { get; } = Depth with { Attribute = "Encoder" };
        /// <summary><see cref="EncoderAttribute.Vocab"/>: 1 to 2^24.</summary>
        public static SizeLimit EncoderVocab { get; } = Vocab with { Attribute = "Encoder" };
        /// <summary><see cref="EncoderAttribute.MaxLength"/>: 1 to 2^20.</summary>
        public static SizeLimit EncoderMaxLength { get; } = MaxLength with { Attribute = "Encoder" };
        /// <summary><see cref="EncoderAttribute.CrossAttentionHeads"/>: 1 to 1024.</summary>
        public static SizeLimit CrossAttentionHeads { get; } = new SizeLimit("Encoder", "CrossAttentionHeads", 1, 1 << 10, 4);
    }
}
