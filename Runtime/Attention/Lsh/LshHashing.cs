using static TorchSharp.torch;

namespace XformerDsl.Attention.Lsh;

/// <summary>Random rotations for angular LSH, drawn fresh for each training forward pass.</summary>
public static class LshHashing
{
    /// <summary>
    /// Gaussian rotations <c>[heads, headDim, rounds, buckets / 2]</c> for a sequence of <paramref name="sequence"/>
    /// tokens. With <paramref name="seed"/> null they come from TorchSharp's default generator (so
    /// <c>torch.manual_seed</c> reproduces them, and a recomputation in the backward pass that replays the random
    /// stream draws them again); with a seed, from a generator of that seed (the same rotations every call).
    /// </summary>
    public static Tensor RandomRotations(long sequence, int heads, int headDim, int rounds, int bucketSize, long? seed, Device device, ScalarType dtype)
    {
        long buckets = LshLayout.PaddedLength(sequence, bucketSize) / bucketSize;
        var shape = new long[] { heads, headDim, rounds, buckets / 2 };
        if (seed is not long s)
            return randn(shape, dtype: dtype).to(device);
        using var generator = new Generator((ulong)s);
        return randn(shape, dtype: dtype, generator: generator).to(device);
    }

    /// <summary>Buckets <c>[batch, heads, rounds, length]</c> of <c>[batch, heads, length, headDim]</c> vectors: argmax over [x·R; −x·R].</summary>
    public static Tensor Buckets(Tensor x, Tensor rotations)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long heads = rotations.shape[0], headDim = rotations.shape[1], rounds = rotations.shape[2], half = rotations.shape[3];
        // Every round in one product per head, [b, h, length, d] · [h, d, rounds · buckets/2] → [b, h, length, rounds, buckets/2],
        // rather than broadcasting the rows over the rounds.
        var rotated = x.matmul(rotations.reshape(heads, headDim, rounds * half).to(x.dtype))
            .view(x.shape[0], heads, x.shape[2], rounds, half);
        // argmax over [xR; −xR] without building it (at seq 16384 that concatenation alone is 256 MiB): the best of the
        // second half is the most negative entry of xR. Ties go to the first half, as argmax takes the first maximum.
        var (top, topIndex) = rotated.max(-1);
        var (bottom, bottomIndex) = rotated.min(-1);
        return where(top >= bottom.neg(), topIndex, bottomIndex + half).permute(0, 1, 3, 2).contiguous().MoveToOuterDisposeScope();
    }
}
