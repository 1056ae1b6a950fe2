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
    /// <param name="Compressed">Compressed slots each layer keeps, 0 for none. See <see cref="SegmentRecurrenceAttribute.Compressed"/>.</param>
    /// <param name="CompressionRatio">Memory positions per compressed slot. See <see cref="SegmentRecurrenceAttribute.CompressionRatio"/>.</param>
    /// <param name="Compression">How positions become a slot. See <see cref="SegmentRecurrenceAttribute.Compression"/>.</param>
    /// <param name="ReconstructionWeight">The auxiliary loss's weight. See <see cref="SegmentRecurrenceAttribute.ReconstructionWeight"/>.</param>
    public sealed record SegmentRecurrenceSpec(int Heads, int Memory, int ClampLength, bool SameLength,
        int Compressed = 0, int CompressionRatio = SegmentRecurrenceSpec.DefaultCompressionRatio,
        CompressionFunction Compression = CompressionFunction.Convolution, double ReconstructionWeight = SegmentRecurrenceSpec.DefaultReconstructionWeight)
        : AttentionSpec(Heads)
    {
        /// <summary>The default <see cref="CompressionRatio"/>, the paper's on WikiText-103.</summary>
        public const int DefaultCompressionRatio = 4;

        /// <summary>The default <see cref="ReconstructionWeight"/>.</summary>
        public const double DefaultReconstructionWeight = 1.0;

        /// <summary>True for the Compressive Transformer: the layers keep compressed slots besides the memory.</summary>
        public bool IsCompressive => Compressed > 0;

        /// <summary>True when the compression arguments differ from their defaults (written without <see cref="Compressed"/>, they are XF0150).</summary>
        public bool HasCompressionSettings =>
            CompressionRatio != DefaultCompressionRatio || Compression != CompressionFunction.Convolution || !ReconstructionWeight.Equals(DefaultReconstructionWeight);

        /// <summary>The compression function's parameters in one layer: a convolution's weight <c>[Dim, Dim, CompressionRatio]</c> and bias; none for pooling.</summary>
        public long CompressionParameters(int dim, bool bias) =>
            IsCompressive && Compression == CompressionFunction.Convolution ? (long)dim * dim * CompressionRatio + (bias ? dim : 0) : 0;

        /// <inheritdoc/>
        public override string AttributeName => "SegmentRecurrence";

        /// <inheritdoc/>
        public override string Complexity => IsCompressive
            ? $"relative-position attention over {SpecFormat.Int(Compressed)} compressed slots of {SpecFormat.Int(CompressionRatio)} positions, a memory of {SpecFormat.Int(Memory)} positions and the segment (Compressive Transformer): O(L·(L + {SpecFormat.Int(Memory + Compressed)})·Dim) time per layer"
            : $"relative-position attention over a memory of {SpecFormat.Int(Memory)} positions and the segment (Transformer-XL): O(L·(L + {SpecFormat.Int(Memory)})·Dim) time per layer";

        /// <summary>
        /// The Q, K, V and output projections, W_R (Dim × Dim, no bias), the biases u and v (Dim each), and a Compressive
        /// Transformer's compression function (<see cref="CompressionParameters"/>).
        /// </summary>
        public override long ParametersOfLayer(ModelSpec model, int layer) =>
            ParametersPerLayer(model.Dim, model.Bias) + (long)model.Dim * model.Dim + 2L * model.Dim + CompressionParameters(model.Dim, model.Bias);

        /// <summary>
        /// Each query scores and weighs the keys it sees (the memory and the segment up to itself, or Memory keys with
        /// SameLength) with a content and a position term: 3·Dim per key; and the segment projects the Memory + L
        /// distance sinusoids by W_R, Dim² each, shared by its L tokens. A Compressive Transformer's queries also see the
        /// Compressed slots, whose distances W_R projects too, and each position is compressed once as it leaves the
        /// memory (Dim² per position for a convolution; the reconstruction loss of training is not counted).
        /// </summary>
        public override long MixingMacsPerToken(int dim, int length, bool causal)
        {
            long seen = SameLength ? Memory : Memory + Compressed + (causal ? (length + 1L) / 2 : length);
            long compression = IsCompressive && Compression == CompressionFunction.Convolution ? (long)dim * dim : 0;
            return 3L * dim * seen + (long)dim * dim * (Memory + Compressed + (long)length) / Math.Max(1, length) + compression;
        }

        /// <inheritdoc/>
        public override IEnumerable<SpecProblem> Problems(ModelSpec model, int index) => SegmentRecurrenceRules.Problems(this, model, index);
    }
}
