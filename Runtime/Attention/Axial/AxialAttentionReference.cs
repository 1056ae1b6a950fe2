using XformerDsl.Attention.Full;
using XformerDsl.Specs;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Axial;

/// <summary>
/// Axial attention composed from TorchSharp ops: the full reference attention with each head's axis as a dense mask
/// (row heads: the same row; column heads: the same column), in the original order. The oracle for the generated
/// kernels, which instead reorder the sequence for the column heads.
/// </summary>
public static class AxialAttentionReference
{
    /// <summary>Row heads first, then column heads, as <see cref="AxialAttentionSpec"/> splits them.</summary>
    public static Tensor Forward(Tensor query, Tensor key, Tensor value, AxialAttentionSpec axial, bool causal, Tensor? keyPaddingMask = null)
    {
        AttentionShapes.Check(query, key, value, keyPaddingMask, nameof(AxialAttentionReference));
        int seq = (int)query.shape[2], rowHeads = (int)Math.Min(query.shape[1], axial.RowHeads);
        using var scope = NewDisposeScope();
        var rowMask = Mask(seq, (q, k) => axial.RowSees(q, k, causal), query.device);
        var columnMask = Mask(seq, (q, k) => axial.ColumnSees(q, k, causal), query.device);
        var rows = FullAttentionReference.Forward(query.narrow(1, 0, rowHeads), key.narrow(1, 0, rowHeads), value.narrow(1, 0, rowHeads), rowMask, keyPaddingMask);
        long columnHeads = query.shape[1] - rowHeads;
        var columns = FullAttentionReference.Forward(query.narrow(1, rowHeads, columnHeads), key.narrow(1, rowHeads, columnHeads), value.narrow(1, rowHeads, columnHeads), columnMask, keyPaddingMask);
        return cat(new[] { rows, columns }, 1).MoveToOuterDisposeScope();
    }

    private static Tensor Mask(int seq, Func<int, int, bool> sees, Device device)
    {
        var mask = new bool[(long)seq * seq];
        for (int q = 0; q < seq; q++)
            for (int k = 0; k < seq; k++)
                mask[(long)q * seq + k] = sees(q, k);
        return tensor(mask, new long[] { seq, seq }, ScalarType.Bool, device);
    }
}
