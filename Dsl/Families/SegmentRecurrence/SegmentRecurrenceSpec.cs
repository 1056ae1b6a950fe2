using System;
using System.Collections.Generic;

namespace XformerDsl.Specs
{
    /// <summary>
    /// Relative-position attention over a segment memory (Transformer-XL). See <see cref="SegmentRecurrenceAttribute"/>.
    /// </summary>
    /// <param name="Heads">Number of heads. See <see cref="AttentionAttribute.Heads"/>.</param>
    /// <param name="Memory">Positions of earlier segments each layer keeps. See <see cref="SegmentRecurrenceAttribute.Memory"/>.</param>
    /// <param name="ClampLength">Largest distance told apart, 0 for none. See <see cref="SegmentRecurrenceAttribute.ClampLength"/>.</param>
    /// <param name="SameLength">Every query sees Memory keys. See <see cref="SegmentRecurrenceAttribute.SameLength"/>.</param>
    public sealed record SegmentRecurrenceSpec(int Heads, int Memory, int ClampLength, bool SameLength) : AttentionSpec(Heads)
    {
        /// <inheritdoc/>
        public override string AttributeName => "SegmentRecurrence";

        /// <inheritdoc/>
        public override string Complexity =>
            $"relative-position attention over a memory of {SpecFormat.Int(Memory)} positions and the segment (Transformer-XL): O(L·(L + {SpecFormat.Int(Memory)})·Dim) time per layer";

        /// <summary>The Q, K, V and output projections, W_R (Dim × Dim, no bias) and the biases u and v (Dim each).</summary>
        public override long ParametersOfLayer(ModelSpec model, int layer) =>
            ParametersPerLayer(model.Dim, model.Bias) + (long)model.Dim * model.Dim + 2L * model.Dim;

        /// <summary>
        /// Each query scores and weighs the keys it sees (the memory and the segment up to itself, or Memory keys with
        /// SameLength) with a content and a position term: 3·Dim per key; and the segment projects the Memory + L
        /// distance sinusoids by W_R, Dim² each, shared by its L tokens.
        /// </summary>
        public override long MixingMacsPerToken(int dim, int length, bool causal)
        {
            long seen = SameLength ? Memory : Memory + (causal ? (length + 1L) / 2 : length);
            return 3L * dim * seen + (long)dim * dim * (Memory + (long)length) / Math.Max(1, length);
        }

        /// <inheritdoc/>
        public override IEnumerable<SpecProblem> Problems(ModelSpec model, int index) => SegmentRecurrenceRules.Problems(this, model, index);
    }
}
