using System;

namespace XformerDsl
{
    /// <summary>
    /// The factorized sparse attention of the Sparse Transformer (Child et al., 2019, "Generating Long Sequences with
    /// Sparse Transformers"), <see cref="SparsePattern.Strided"/> or <see cref="SparsePattern.Fixed"/>, causal or
    /// bidirectional. The paper splits the two halves of each pattern across heads or layers; here every head attends
    /// to their union (the paper's "merged" head), so one layer already connects every pair of positions in two steps.
    /// With Stride ≈ √L each query sees about 2√L keys. Bidirectional patterns mirror the causal ones.
    /// </summary>
    /// <example><c>[SparseAttention(Heads = 8, Stride = 128, Mode = SparsePattern.Fixed, Summary = 8)]</c></example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class SparseAttentionAttribute : AttentionAttribute
    {
        /// <summary>Required. The period of the pattern: the local span of Strided, the block of Fixed; about √MaxLength.</summary>
        public int Stride { get; set; }

        /// <summary>Which pattern; <see cref="SparsePattern.Strided"/> by default.</summary>
        public SparsePattern Mode { get; set; }

        /// <summary>Fixed only: the last positions of every block that every query sees (c in the paper), 1 to Stride; 1 by default.</summary>
        public int Summary { get; set; } = 1;
    }
}
