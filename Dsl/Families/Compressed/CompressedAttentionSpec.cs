using System.Collections.Generic;

namespace XformerDsl.Specs
{
    /// <summary>Memory-compressed attention over keys and values compressed along the length. See <see cref="CompressedAttentionAttribute"/>.</summary>
    /// <param name="Heads">Number of heads. See <see cref="AttentionAttribute.Heads"/>.</param>
    /// <param name="Ratio">Positions per compressed slot. See <see cref="CompressedAttentionAttribute.Ratio"/>.</param>
    /// <param name="Compression">How a slot becomes one row. See <see cref="CompressedAttentionAttribute.Compression"/>.</param>
    public sealed record CompressedAttentionSpec(int Heads, int Ratio, MemoryCompression Compression) : AttentionSpec(Heads)
    {
        /// <summary>The ratio when a declaration leaves <c>Ratio</c> out: 3, the paper's kernel size and stride.</summary>
        public const int DefaultRatio = 3;

        /// <summary>The compression when a declaration leaves <c>Compression</c> out: the learned strided convolution.</summary>
        public const MemoryCompression DefaultCompression = MemoryCompression.Convolution;

        /// <inheritdoc/>
        public override string AttributeName => "CompressedAttention";

        /// <inheritdoc/>
        public override string Complexity =>
            $"memory-compressed attention over L/{SpecFormat.Int(Ratio)} compressed keys: O(L²/{SpecFormat.Int(Ratio)}·Dim) time per layer";

        /// <summary>The compressed slots of a sequence of <paramref name="length"/> positions: ⌈length / Ratio⌉, the last one partial when Ratio does not divide it.</summary>
        public long SlotsOf(long length) => (length + Ratio - 1) / System.Math.Max(1, Ratio);

        /// <summary>
        /// The Q, K, V and output projections; with <see cref="MemoryCompression.Convolution"/> the key and value filters,
        /// each <c>[Dim, Dim / Heads, Ratio]</c> (and a bias of Dim with biases); in a causal model the null key and value, Dim each.
        /// </summary>
        public override long ParametersOfLayer(ModelSpec model, int layer)
        {
            long filters = Compression == MemoryCompression.Convolution
                ? 2L * ((long)model.Dim * (model.Dim / System.Math.Max(1, Heads)) * Ratio + (model.Bias ? model.Dim : 0))
                : 0;
            long nullKeyValue = model.Causal ? 2L * model.Dim : 0;
            return ParametersPerLayer(model.Dim, model.Bias) + filters + nullKeyValue;
        }

        /// <summary>
        /// Compressing: with the convolution each slot costs Dim · (Dim / Heads) · Ratio MACs for its key and as many for its
        /// value, 2 · Dim · Dim / Heads per token; a mean costs additions only. Attending: each query scores the compressed
        /// keys it sees and weights as many values (Dim MACs each): all ⌈L / Ratio⌉ slots when bidirectional; when causal,
        /// the null key and the ⌊(i + 1) / Ratio⌋ whole slots at or before query i, averaged over the L queries.
        /// </summary>
        public override long MixingMacsPerToken(int dim, int length, bool causal)
        {
            long compressing = Compression == MemoryCompression.Convolution ? 2L * dim * (dim / System.Math.Max(1, Heads)) : 0;
            if (!causal)
                return compressing + 2L * dim * SlotsOf(length);
            // Σ over m = 1..L of ⌊m / Ratio⌋: slot counts t = 1 .. q − 1 each hold Ratio queries, t = q the last L − q·Ratio + 1.
            long q = length / System.Math.Max(1, Ratio), wholeSlotsSeen = (long)Ratio * q * (q - 1) / 2 + q * (length - q * Ratio + 1);
            long keysSeen = length + wholeSlotsSeen;
            return compressing + 2L * dim * keysSeen / System.Math.Max(1, length);
        }

        /// <inheritdoc/>
        public override IEnumerable<SpecProblem> Problems(ModelSpec model, int index)
        {
            if (!CompressedAttentionRules.Ratio.Contains(Ratio))
            {
                yield return SpecValidation.RangeProblem(CompressedAttentionRules.Ratio, Ratio) with { AttentionIndex = index };
                yield break;
            }
            if (!System.Enum.IsDefined(typeof(MemoryCompression), Compression))
                yield return SpecValidation.UndefinedEnumProblem(AttributeName, "Compression", Compression) with { AttentionIndex = index };
            if (SpecLimits.MaxLength.Contains(model.MaxLength) && Ratio > model.MaxLength)
                yield return new SpecProblem(CompressedAttentionRules.RatioExceedsMaxLength, AttributeName, "Ratio",
                    ImmutableEquatableArray.Create(SpecFormat.Int(Ratio), SpecFormat.Int(model.MaxLength))) with { AttentionIndex = index };
            if (Compression == MemoryCompression.MeanPool && Ratio == 1)
                yield return new SpecProblem(CompressedAttentionRules.MeanPoolCompressesNothing, AttributeName, "Ratio",
                    ImmutableEquatableArray.Create<string>()) with { AttentionIndex = index };
        }
    }
}
