using System.Collections.Generic;
using System.Linq;

namespace XformerDsl.Specs
{
    /// <summary>
    /// The rules of <see cref="SegmentRecurrenceSpec"/> and of relative positions (XF0140–XF0159), shared by the
    /// generator's diagnostics and run-time validation.
    /// </summary>
    public static class SegmentRecurrenceRules
    {
        private const string Attribute = "SegmentRecurrence";

        /// <summary><see cref="SegmentRecurrenceAttribute.Memory"/>: 1 to 2^20, like MaxLength.</summary>
        public static SizeLimit Memory { get; } = new SizeLimit(Attribute, "Memory", 1, 1 << 20, 128);

        /// <summary><see cref="SegmentRecurrenceAttribute.ClampLength"/>: 0 (none) to 2^20.</summary>
        public static SizeLimit ClampLength { get; } = new SizeLimit(Attribute, "ClampLength", 0, 1 << 20, 1000);

        /// <summary>XF0140: a bidirectional segment would see its own future but only the past of the stream.</summary>
        public static SpecRule BidirectionalModel { get; } = new SpecRule(
            "XF0140",
            "Segment recurrence needs a causal model",
            "[SegmentRecurrence] in a bidirectional model: the memory holds earlier segments only, so a bidirectional query would see the whole of its own segment and none of the next, a context that changes with where the stream was cut; declare Causal = true on [Transformer] (a language model over a long stream), or use another attention family in an encoder");

        /// <summary>XF0141: the frame carries a memory for every layer; no other family attends to one.</summary>
        public static SpecRule OtherFamilyInTheModel { get; } = new SpecRule(
            "XF0141",
            "A family that cannot take a segment memory",
            "[{0}] in a model with [SegmentRecurrence]: every layer keeps a memory of earlier segments and attends to it with relative positions, and [{0}] has no such form ({1}); declare [SegmentRecurrence] for every layer, or remove it");

        /// <summary>XF0142: absolute positions restart at every segment, so the memory's positions would collide with the segment's.</summary>
        public static SpecRule NeedsRelativePositions { get; } = new SpecRule(
            "XF0142",
            "Segment recurrence needs relative positions",
            "[SegmentRecurrence] with Positions.Kind = {0}: absolute positions restart at every segment, so a memory position and a segment position would look alike; declare [Positions(Kind = PositionEncoding.Relative)], whose distances stay meaningful across segments");

        /// <summary>XF0143: only segment recurrence computes relative positions.</summary>
        public static SpecRule RelativePositionsWithoutRecurrence { get; } = new SpecRule(
            "XF0143",
            "Relative positions need segment recurrence",
            "Positions.Kind = Relative in a model without [SegmentRecurrence]: relative positions are Transformer-XL's and computed inside its attention, which no other family has; declare [SegmentRecurrence(Heads = ..., Memory = ...)], or use PositionEncoding.Rotary for relative positions in the other families");

        /// <summary>XF0144: reversible blocks and the memory's stack both run the blocks.</summary>
        public static SpecRule Reversible { get; } = new SpecRule(
            "XF0144",
            "Segment recurrence with reversible blocks",
            "[SegmentRecurrence] with [Reversible]: the memory keeps each block's input, which reversible blocks do not store but reconstruct in the backward pass, and both would run the stack of blocks; remove [Reversible]");

        /// <summary>XF0145: an encoder–decoder's frame has no memory.</summary>
        public static SpecRule EncoderDecoder { get; } = new SpecRule(
            "XF0145",
            "Segment recurrence in an encoder-decoder",
            "[SegmentRecurrence] in an encoder-decoder: segment memory belongs to a language model over one long stream, and neither stack of an encoder-decoder carries one; remove [Encoder], or use [FullAttention] in this stack");

        /// <summary>XF0146: the model keeps one memory length.</summary>
        public static SpecRule SecondDeclaration { get; } = new SpecRule(
            "XF0146",
            "Two segment-recurrence declarations",
            "A second [SegmentRecurrence] in one model: the model keeps one memory, of one length, for all its layers; declare [SegmentRecurrence] once, for every layer");

        /// <summary>The family's rules and its ID block.</summary>
        public static SpecRuleSet All { get; } = new SpecRuleSet(Attribute,
            ImmutableEquatableArray.Create(new SpecIdBlock(140, 159)),
            ImmutableEquatableArray.Create(BidirectionalModel, OtherFamilyInTheModel, NeedsRelativePositions, RelativePositionsWithoutRecurrence, Reversible, EncoderDecoder, SecondDeclaration));

        /// <summary>The problems of declaration <paramref name="index"/>, a <see cref="SegmentRecurrenceSpec"/>.</summary>
        public static IEnumerable<SpecProblem> Problems(SegmentRecurrenceSpec attention, ModelSpec model, int index)
        {
            if (!Memory.Contains(attention.Memory))
                yield return SpecValidation.RangeProblem(Memory, attention.Memory) with { AttentionIndex = index };
            if (!ClampLength.Contains(attention.ClampLength))
                yield return SpecValidation.RangeProblem(ClampLength, attention.ClampLength) with { AttentionIndex = index };
            if (model.CrossAttention is not null || model.Head is HiddenStatesHeadSpec)
            {
                yield return Problem(EncoderDecoder, Attribute, index);
                yield break;
            }
            int first = FirstIndex(model);
            if (index != first)
            {
                yield return Problem(SecondDeclaration, Attribute, index);
                yield break;
            }
            // The model's own problems, said once, by its segment-recurrence declaration.
            if (!model.Causal)
                yield return Problem(BidirectionalModel, Attribute, index);
            if (model.Reversible)
                yield return new SpecProblem(Reversible, "Reversible", "", ImmutableEquatableArray<string>.Empty);
            if (System.Enum.IsDefined(typeof(PositionEncoding), model.Positions.Kind) && model.Positions.Kind != PositionEncoding.Relative)
                yield return new SpecProblem(NeedsRelativePositions, "Positions", "Kind", ImmutableEquatableArray.Create(SpecFormat.Enum(model.Positions.Kind)));
            for (int other = 0; other < model.Attention.Count; other++)
            {
                var family = model.Attention[other].Attention;
                if (family is not SegmentRecurrenceSpec)
                    yield return new SpecProblem(OtherFamilyInTheModel, family.AttributeName, family.AttributeName,
                        ImmutableEquatableArray.Create(family.AttributeName, WhyNoMemory(family))) with { AttentionIndex = other };
            }
        }

        /// <summary>The frame's problem with relative positions: XF0143 when no layer computes them.</summary>
        public static IEnumerable<SpecProblem> PositionProblems(ModelSpec model)
        {
            if (model.Positions.Kind == PositionEncoding.Relative && !model.Attention.Any(d => d.Attention is SegmentRecurrenceSpec))
                yield return new SpecProblem(RelativePositionsWithoutRecurrence, "Positions", "Kind", ImmutableEquatableArray<string>.Empty);
        }

        private static int FirstIndex(ModelSpec model)
        {
            for (int i = 0; i < model.Attention.Count; i++)
            {
                if (model.Attention[i].Attention is SegmentRecurrenceSpec)
                    return i;
            }
            return -1;
        }

        private static SpecProblem Problem(SpecRule rule, string argument, int index) =>
            new SpecProblem(rule, Attribute, argument, ImmutableEquatableArray<string>.Empty) with { AttentionIndex = index };

        // Why a family has no memory form, for XF0141.
        private static string WhyNoMemory(AttentionSpec family) => family switch
        {
            FullAttentionSpec => "its scores have no relative-position term, so memory keys would carry no position; [SegmentRecurrence] is full attention with one",
            LinearAttentionSpec => "its causal state already summarises every earlier position, a memory of unbounded length",
            _ => "its keys are the segment's own, chosen by its pattern, projection or hashing over the segment alone",
        };
    }
}
