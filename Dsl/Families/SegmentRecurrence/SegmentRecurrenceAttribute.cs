using System;
using XformerDsl.Specs;

namespace XformerDsl
{
    /// <summary>
    /// Segment recurrence with relative positions (Dai, Yang, Yang, Carbonell, Le &amp; Salakhutdinov, 2019,
    /// "Transformer-XL: Attentive Language Models Beyond a Fixed-Length Context"): a long stream is read in consecutive
    /// segments, and every layer keeps the hidden states that entered it over the last <see cref="Memory"/> positions as
    /// a memory; the next segment's keys and values are computed over <c>[memory; segment]</c> (its queries over the
    /// segment only), so context reaches back Depth × Memory positions at the cost of one segment. The memory is a
    /// constant to the next segment (no gradient flows into it). Positions are relative, so the memory's positions stay
    /// meaningful: query i scores key j as <c>(q_i + u)·k_j + (q_i + v)·W_R·R_{i−j}</c>, with R the sinusoid of the distance
    /// and u, v learned per head. The model's forward takes a <c>SegmentMemory</c> (from <c>CreateMemory</c>) and
    /// updates it in place. Causal models only (XF0140); every layer must use it (XF0141), with
    /// <c>[Positions(Kind = PositionEncoding.Relative)]</c> (XF0142). With <see cref="Compressed"/> it is the Compressive
    /// Transformer: positions leaving the memory are compressed into a second, coarser memory.
    /// </summary>
    /// <example>
    /// <code>
    /// [Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 128, Causal = true)]
    /// [SegmentRecurrence(Heads = 4, Memory = 128)]
    /// [Positions(Kind = PositionEncoding.Relative)]
    /// [FeedForward(Hidden = 1024)]
    /// public partial class ByteTransformerXl;
    ///
    /// // The Compressive Transformer: 128 positions of memory, then 128 slots of 4 positions each.
    /// [Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 128, Causal = true)]
    /// [SegmentRecurrence(Heads = 4, Memory = 128, Compressed = 128, CompressionRatio = 4)]
    /// [Positions(Kind = PositionEncoding.Relative)]
    /// [FeedForward(Hidden = 1024)]
    /// public partial class ByteCompressiveTransformer;
    /// </code>
    /// </example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class SegmentRecurrenceAttribute : AttentionAttribute
    {
        /// <summary>
        /// Required. The positions of earlier segments each layer keeps and attends to (the reference's <c>mem_len</c>;
        /// the paper trains with a memory as long as the segment). Range 1 to 1,048,576. Evaluation may keep a longer
        /// memory: pass <c>CreateMemory(batch, length)</c>.
        /// </summary>
        public int Memory { get; set; }

        /// <summary>
        /// Distances beyond this are treated as this far (the reference's <c>clamp_len</c>); 0, the default, clamps
        /// nothing. Range 0 to 1,048,576.
        /// </summary>
        public int ClampLength { get; set; }

        /// <summary>
        /// True: every query sees exactly <see cref="Memory"/> keys, ending at itself, once the memory is full (the
        /// reference's <c>same_length</c>, which the paper uses in evaluation); false (default): a query sees the whole
        /// memory and the segment up to itself.
        /// </summary>
        public bool SameLength { get; set; }

        /// <summary>
        /// The Compressive Transformer (Rae et al., 2020): 0, the default, for none; otherwise the compressed slots each
        /// layer keeps besides its memory. Positions that leave the memory, <see cref="CompressionRatio"/> at a time, are
        /// compressed into one slot each by <see cref="Compression"/> and appended to this second FIFO, and attention
        /// covers <c>[compressed; memory; segment]</c>, so context reaches back Memory + CompressionRatio × Compressed
        /// positions per layer. Range 0 to 1,048,576.
        /// </summary>
        public int Compressed { get; set; }

        /// <summary>
        /// With <see cref="Compressed"/>: the memory positions one compressed slot stands for (the paper's c: 3 on
        /// enwik8, 4 on WikiText-103). It must divide <see cref="Memory"/>. Range 1 to 1,048,576; default 4.
        /// </summary>
        public int CompressionRatio { get; set; } = SegmentRecurrenceSpec.DefaultCompressionRatio;

        /// <summary>
        /// With <see cref="Compressed"/>: how positions become a slot, <see cref="CompressionFunction.Convolution"/> (learned,
        /// the default), <see cref="CompressionFunction.MeanPool"/> or <see cref="CompressionFunction.MaxPool"/>.
        /// </summary>
        public CompressionFunction Compression { get; set; }

        /// <summary>
        /// With <see cref="Compressed"/>: the weight of the attention-reconstruction loss the trainer adds to the language
        /// model's loss (<c>IAuxiliaryLossSource</c>): how far the attention of the segment's queries over the compressed
        /// slots is from their attention over the positions those slots replace. It trains the compression function only.
        /// Default 1; 0 or more, and more than 0 with a convolution (its only training signal).
        /// </summary>
        public double ReconstructionWeight { get; set; } = SegmentRecurrenceSpec.DefaultReconstructionWeight;
    }
}
