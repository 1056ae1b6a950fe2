using static TorchSharp.torch;

namespace XformerDsl.Modules;

/// <summary>The cosines and sines of the rotary angles for positions 0..seq−1, each <c>[seq, headDim]</c>.</summary>
/// <param name="Cos">cos(p·θᵢ), with the headDim/2 frequencies repeated for both halves of the head.</param>
/// <param name="Sin">sin(p·θᵢ), laid out like <paramref name="Cos"/>.</param>
public sealed record RotaryTables(Tensor Cos, Tensor Sin);

/// <summary>
/// Rotary position embedding (RoPE; Su et al., 2021) as pure functions. Pairs dimension i with i + headDim/2 ("rotate
/// half", the GPT-NeoX and Hugging Face LLaMA layout) and rotates the pair by the angle p·θᵢ with
/// θᵢ = base^(−2i/headDim), so the score between a query at position m and a key at position n depends on m − n only.
/// </summary>
public static class RotaryEmbedding
{
    /// <summary>
    /// The tables for <paramref name="length"/> positions, computed in float64 and returned in <paramref name="dtype"/>
    /// on <paramref name="device"/>. Recomputed per forward pass rather than stored: they are cheap
    /// (length × headDim) and so follow the model to any device or dtype without living in its state dict.
    /// </summary>
    public static RotaryTables Tables(long length, long headDim, double rotaryBase, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        if (headDim < 2 || headDim % 2 != 0)
            throw new ArgumentException($"Rotary embeddings need an even head size; got headDim = {headDim}.", nameof(headDim));
        if (length < 1)
            throw new ArgumentOutOfRangeException(nameof(length), length, "Rotary tables need at least one position.");
        if (!(rotaryBase > 1) || double.IsInfinity(rotaryBase))
            throw new ArgumentOutOfRangeException(nameof(rotaryBase), rotaryBase, "The rotary base must be a finite number greater than 1.");
        using var scope = NewDisposeScope();
        var exponents = arange(0, headDim, 2, ScalarType.Float64) / headDim;                  // 2i / headDim
        var frequencies = pow(rotaryBase, exponents).reciprocal();                            // θᵢ, [headDim/2]
        var angles = outer(arange(length, ScalarType.Float64), frequencies);                  // p·θᵢ, [length, headDim/2]
        var both = cat(new[] { angles, angles }, 1);                                          // [length, headDim]
        return new RotaryTables(
            both.cos().to(dtype, device ?? CPU).MoveToOuterDisposeScope(),
            both.sin().to(dtype, device ?? CPU).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Rotates <paramref name="x"/> <c>[..., seq, headDim]</c> (queries or keys, typically <c>[batch, heads, seq, headDim]</c>)
    /// by the angles of positions 0..seq−1: <c>x·cos + rotate_half(x)·sin</c>.
    /// </summary>
    public static Tensor Apply(Tensor x, RotaryTables tables)
    {
        long seq = x.shape[^2], headDim = x.shape[^1];
        if (tables.Cos.dim() != 2 || tables.Cos.shape[0] < seq || tables.Cos.shape[1] != headDim)
            throw new ArgumentException(
                $"Rotary tables [{string.Join(", ", tables.Cos.shape)}] do not cover input [{string.Join(", ", x.shape)}]; build them with Tables(seq: {seq}, headDim: {headDim}, ...).");
        using var scope = NewDisposeScope();
        long half = headDim / 2;
        var cos = tables.Cos.narrow(0, 0, seq);
        var sin = tables.Sin.narrow(0, 0, seq);
        var rotatedHalf = cat(new[] { x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half) }, -1);   // (−x₂, x₁)
        return (x * cos + rotatedHalf * sin).MoveToOuterDisposeScope();
    }
}
