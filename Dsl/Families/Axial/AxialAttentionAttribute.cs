using System;

namespace XformerDsl
{
    /// <summary>
    /// Axial attention (Ho et al., 2019, "Axial Attention in Multidimensional Transformers"): the sequence is a
    /// <see cref="Rows"/> × <see cref="Columns"/> grid in row-major order (Rows · Columns = MaxLength), and attention runs
    /// along its axes. The heads are split between the axes: the first Heads / 2 heads attend along rows (each query sees
    /// the keys of its own row), the other Heads / 2 along columns (the keys of its own column); a causal model hides later
    /// keys on both axes. So one layer costs O(L·(Rows + Columns)·Dim), and two layers connect every pair of positions.
    /// Column heads run a contiguous block kernel over the grid read column by column; sequences shorter than MaxLength
    /// are padded to the grid (the padding hidden) and cut back.
    /// </summary>
    /// <example><c>[AxialAttention(Heads = 8, Rows = 64, Columns = 64)]</c> for MaxLength = 4096.</example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class AxialAttentionAttribute : AttentionAttribute
    {
        /// <summary>Required. Rows of the grid; Rows · Columns must equal MaxLength.</summary>
        public int Rows { get; set; }

        /// <summary>Required. Columns of the grid (tokens per row); Rows · Columns must equal MaxLength.</summary>
        public int Columns { get; set; }
    }
}
