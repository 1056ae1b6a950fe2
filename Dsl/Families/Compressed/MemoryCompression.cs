namespace XformerDsl
{
    /// <summary>
    /// How a <see cref="CompressedAttentionAttribute"/> layer compresses its keys and values along the length: each run of
    /// Ratio consecutive positions (a slot) becomes one row.
    /// </summary>
    public enum MemoryCompression
    {
        /// <summary>
        /// A strided convolution per head, kernel = stride = Ratio (Liu et al., 2018, §2.3; lucidrains' <c>ConvCompress</c>
        /// with <c>groups = heads</c>): one learned filter for the keys and one for the values, each
        /// <c>[Dim, Dim / Heads, Ratio]</c> with a bias when the model has biases. The default.
        /// </summary>
        Convolution = 0,

        /// <summary>The mean of the slot's real (unpadded) rows: no parameters.</summary>
        MeanPool = 1,
    }
}
