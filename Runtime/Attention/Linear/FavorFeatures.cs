using static TorchSharp.torch;

namespace XformerDsl.Attention.Linear;

/// <summary>
/// The random features of FAVOR+ (Choromanski et al., 2021, "Rethinking Attention with Performers", section 2.4 and
/// appendix): positive orthogonal random features, drawn deterministically from a seed.
/// </summary>
public static class FavorFeatures
{
    /// <summary>
    /// Draw number <paramref name="draw"/> of m = <paramref name="features"/> rows ω of width headDim: blocks of headDim
    /// rows that are exactly orthogonal (the Q of a Gaussian matrix's QR decomposition), each row then scaled to the norm
    /// of an independent Gaussian vector (a chi distribution with headDim degrees of freedom), so every row is marginally
    /// Gaussian while rows within a block are orthogonal. The last block is cut to fill m rows. The same seed and draw
    /// always give the same rows, on any machine; different draws are independent streams.
    /// </summary>
    /// <returns>float64 <c>[features, headDim]</c> on the CPU.</returns>
    public static Tensor Draw(int features, int headDim, long seed, long draw)
    {
        if (features < 1 || headDim < 1)
            throw new ArgumentOutOfRangeException(nameof(features), $"FAVOR+ needs at least one feature and one dimension; got {features} features of width {headDim}.");
        using var scope = NewDisposeScope();
        // One stream per (seed, draw): draw n of a schedule never repeats draw 0.
        using var generator = new Generator(unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)draw * 0xD1B54A32D192ED03UL + 1));
        var blocks = new List<Tensor>();
        for (int row = 0; row < features; row += headDim)
        {
            var gaussian = randn(new long[] { headDim, headDim }, float64, generator: generator);
            var (q, _) = linalg.qr(gaussian);
            blocks.Add(q.t()[TensorIndex.Slice(0, Math.Min(headDim, features - row))]);
        }
        var directions = cat(blocks, 0);
        var norms = randn(new long[] { features, headDim }, float64, generator: generator).norm(1, keepdim: true);
        return (directions * norms).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One training step of a redraw schedule: adds 1 to <paramref name="steps"/> and, when it reaches a multiple of
    /// <paramref name="redrawEvery"/>, overwrites <paramref name="projection"/> in place with draw steps / redrawEvery.
    /// Both are module buffers, so the schedule resumes from a checkpoint exactly where it stopped.
    /// </summary>
    /// <param name="projection">ω, <c>[features, headDim]</c>, any dtype and device.</param>
    /// <param name="steps">An int64 tensor of one element counting training steps.</param>
    /// <param name="redrawEvery">Steps between draws, at least 1.</param>
    /// <param name="seed">The seed of every draw.</param>
    public static void Step(Tensor projection, Tensor steps, int redrawEvery, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(redrawEvery, 1);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        steps.add_(1);
        long step = steps.item<long>();
        if (step % redrawEvery == 0)
            projection.copy_(Draw((int)projection.shape[0], (int)projection.shape[1], seed, step / redrawEvery));
    }
}
