namespace XformerDsl
{
    /// <summary>
    /// How a Compressive Transformer layer (<see cref="SegmentRecurrenceAttribute.Compressed"/>) turns the positions that
    /// leave its memory into compressed slots: each run of <see cref="SegmentRecurrenceAttribute.CompressionRatio"/>
    /// consecutive positions becomes one slot (Rae, Potapenko, Jayakumar, Hillier &amp; Lillicrap, 2020, §3.1).
    /// </summary>
    public enum CompressionFunction
    {
        /// <summary>
        /// A 1-D convolution over the Dim channels with kernel = stride = CompressionRatio (the paper's best on enwik8),
        /// weight <c>[Dim, Dim, CompressionRatio]</c> and a bias when the model has biases; trained by the
        /// attention-reconstruction loss only. The default.
        /// </summary>
        Convolution = 0,

        /// <summary>The mean of the slot's positions: no parameters.</summary>
        MeanPool = 1,

        /// <summary>The channel-wise maximum over the slot's positions: no parameters.</summary>
        MaxPool = 2,
    }
}
