namespace XformerDsl
{
    /// <summary>
    /// The convolution of Lite Transformer's convolution branch (<see cref="LongShortRangeAttentionAttribute.Convolution"/>;
    /// Wu, Fan, Baevski, Dauphin &amp; Auli, 2019, "Pay Less Attention with Lightweight and Dynamic Convolutions").
    /// </summary>
    public enum ConvolutionKind
    {
        /// <summary>
        /// Dynamic convolution (the default): each position gets its own kernels, a bias-free linear function of its input,
        /// softmax-normalised over the kernel, one per kernel head. The branch is Linear(C → 2C), GLU, convolution,
        /// Linear(C → C), as Lite Transformer's WMT configurations.
        /// </summary>
        Dynamic = 0,

        /// <summary>
        /// Lightweight convolution: kernels shared by every position, softmax-normalised, one per kernel head. The branch is
        /// Linear(C → C), convolution, Linear(C → C), without GLU, as Lite Transformer's IWSLT configurations.
        /// </summary>
        Lightweight = 1,
    }
}
