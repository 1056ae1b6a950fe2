using static TorchSharp.torch;

namespace XformerDsl.Modules;

/// <summary>
/// The fixed position table of Vaswani et al. (2017): <c>PE[p, 2i] = sin(p / 10000^(2i/dim))</c>,
/// <c>PE[p, 2i+1] = cos(p / 10000^(2i/dim))</c>. Odd <c>dim</c> is fine: the last column is a sine.
/// </summary>
public static class SinusoidalPositions
{
    /// <summary>The timescale of the slowest frequency, from the paper.</summary>
    public const double Base = 10000.0;

    /// <summary>
    /// The table for positions 0..length−1, <c>[length, dim]</c>, computed in float64 and returned in
    /// <paramref name="dtype"/> on <paramref name="device"/>. Recomputed per forward pass rather than stored, so it never
    /// enters the state dict and follows the model's device and dtype.
    /// </summary>
    public static Tensor Table(long length, long dim, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        if (length < 1 || dim < 1)
            throw new ArgumentOutOfRangeException(nameof(length), $"A sinusoidal table needs positive sizes; got length = {length}, dim = {dim}.");
        using var positions = arange(length, ScalarType.Float64);
        return Of(positions, dim, device, dtype);
    }

    /// <summary>
    /// The table's rows for arbitrary <paramref name="positions"/> (any real values, negative ones included: a row of
    /// position −p has the sines of row p negated and the same cosines), <c>[positions, dim]</c>, computed in float64.
    /// Transformer-XL's relative positions are these rows for distances between query and key.
    /// </summary>
    public static Tensor Of(Tensor positions, long dim, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        if (positions.dim() != 1 || dim < 1)
            throw new ArgumentException($"A sinusoidal table needs a vector of positions and a positive dim; got positions {string.Join("x", positions.shape)}, dim = {dim}.");
        using var scope = NewDisposeScope();
        var column = arange(dim, ScalarType.Float64);
        var pairIndex = column.div(2, RoundingMode.floor);                                   // i for columns 2i and 2i+1
        var frequencies = pow(Base, pairIndex * 2 / dim).reciprocal();                       // [dim]
        var angles = outer(positions.to(ScalarType.Float64, CPU), frequencies);              // [positions, dim]
        var isEven = column.remainder(2).eq(0);                                              // sine on even columns
        var table = where(isEven, angles.sin(), angles.cos());
        return table.to(dtype, device ?? CPU).MoveToOuterDisposeScope();
    }
}
