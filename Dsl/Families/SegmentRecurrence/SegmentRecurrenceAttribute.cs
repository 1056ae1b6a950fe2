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
    /// <c>[Positions(Kind = PositionEncoding.Relative)]</c> (XF0142).
    /// </summary>
    /// <example>
    /// <code>
    /// [Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 128, Causal = true)]
    /// [SegmentRecurrence(Heads = 4, Memory = 128)]
    /// [Positions(Kind = PositionEncoding.Relative)]
    /// [FeedForward(Hidden = 1024)]
    /// public partial class ByteTransformerXl;
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
    }
}
