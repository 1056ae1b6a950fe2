namespace XformerDsl
{
    /// <summary>The factorized patterns of the Sparse Transformer (Child et al., 2019), <see cref="SparseAttentionAttribute.Mode"/>.</summary>
    public enum SparsePattern
    {
        /// <summary>
        /// Strided: a query sees the Stride − 1 keys before it (and itself), and every Stride-th key before those. Suits
        /// data with a period of Stride, such as images flattened row by row.
        /// </summary>
        Strided = 0,

        /// <summary>
        /// Fixed: the sequence is cut into blocks of Stride; a query sees its own block and the last
        /// <see cref="SparseAttentionAttribute.Summary"/> positions of every block, which summarise them. Suits text.
        /// </summary>
        Fixed = 1,
    }
}
