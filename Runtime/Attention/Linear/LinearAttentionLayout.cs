namespace XformerDsl.Attention.Linear;

/// <summary>
/// The sizes a fused linear attention kernel works with, fixed by the generated kernel's constants: m features and
/// headDim values per head, processed in chunks of positions. Rows are padded to whole vectors at every SIMD width:
/// features to <see cref="PaddedFeatures"/>, values plus the normaliser's column of ones to <see cref="ValueWidth"/>.
/// </summary>
public readonly struct LinearAttentionLayout
{
    /// <summary>The layout of a kernel with these constants.</summary>
    public LinearAttentionLayout(int features, int headDim, int chunk)
    {
        Features = features;
        HeadDim = headDim;
        Chunk = chunk;
        PaddedFeatures = RoundUp(features, 16);
        ValueWidth = RoundUp(headDim + 1, 16);
        PaddedChunk = RoundUp(chunk, 16);
    }

    /// <summary>m, features per head.</summary>
    public int Features { get; }

    /// <summary>Values per head.</summary>
    public int HeadDim { get; }

    /// <summary>Positions per chunk of the causal form.</summary>
    public int Chunk { get; }

    /// <summary>m rounded up to a multiple of 16.</summary>
    public int PaddedFeatures { get; }

    /// <summary>headDim + 1 (the values and a column of ones whose sum is the normaliser) rounded up to a multiple of 16.</summary>
    public int ValueWidth { get; }

    /// <summary><see cref="Chunk"/> rounded up to a multiple of 16.</summary>
    public int PaddedChunk { get; }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
