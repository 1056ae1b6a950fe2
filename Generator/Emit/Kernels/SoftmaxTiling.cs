using System;
using XformerDsl.Generator.Model;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Kernels
{
    /// <summary>
    /// The tile sizes of a fused softmax kernel, fixed at compile time from the spec. Tiles of 64 × 64 keep a worker's
    /// scratch in L1/L2; a model whose MaxLength is shorter gets smaller tiles so it never computes scores for keys that
    /// cannot exist. Key tiles and padded head sizes are multiples of 16 so rows are whole vectors at every SIMD width.
    /// </summary>
    internal sealed class SoftmaxTiling
    {
        private const int PreferredTile = 64;

        private SoftmaxTiling(int headDim, int queryTile, int keyTile)
        {
            HeadDim = headDim;
            PaddedHeadDim = RoundUp(headDim, 16);
            QueryTile = queryTile;
            KeyTile = keyTile;
        }

        public int HeadDim { get; }
        public int PaddedHeadDim { get; }
        public int QueryTile { get; }
        public int KeyTile { get; }

        public static SoftmaxTiling For(ModelSpec spec, AttentionSpec attention) =>
            new SoftmaxTiling(spec.HeadDimOf(attention),
                queryTile: Math.Min(PreferredTile, RoundUp(spec.MaxLength, 4)),
                keyTile: Math.Min(PreferredTile, RoundUp(spec.MaxLength, 16)));

        private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
    }
}
