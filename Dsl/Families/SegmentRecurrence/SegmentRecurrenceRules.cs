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

        /// <summary><see cref="SegmentRecurrenceAttribute.Compressed"/>: 0 (none) to 2^20.</summary>
        public static SizeLimit Compressed { get; } = new SizeLimit(Attribute, "Compressed", 0, 1 << 20, 128);

        /// <summary><see cref="SegmentRecurrenceAttribute.CompressionRatio"/>: 1 to 2^20.</summary>
        public static SizeLimit CompressionRatio { get; } = new SizeLimit(Attribute, "CompressionRatio", 1, 1 << 20, SegmentRecurrenceSpec.DefaultCompressionRatio);

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

        /// <summary>XF0150: compression settings describe a compressed memory the declaration does not have.</summary>
        public static SpecRule CompressionWithoutCompressed { get; } = new SpecRule(
            "XF0150",
            "Compression settings without a compressed memory",
            "{0} = {1} without Compressed: the compression settings describe the Compressive Transformer's second memory, and Compressed = 0 (the default) declares none; add Compressed = ... (the compressed slots each layer keeps, e.g. Compressed = {2}), or remove {0}");

        /// <summary>XF0151: positions leave the memory in whole slots, so the memory is a whole number of them.</summary>
        public static SpecRule RatioDoesNotDivideMemory { get; } = new SpecRule(
            "XF0151",
            "CompressionRatio does not divide Memory",
            "CompressionRatio = {0} does not divide Memory = {1}: positions leave the memory {0} at a time, one compressed slot each, so with segments a multiple of {0} long a memory of {1} would never be exactly full and would hold up to {0} − 1 positions more; use a CompressionRatio that divides {1} ({2}) or a Memory that is a multiple of {0}");

        /// <summary>XF0152: SameLength's window ends inside the memory, so it would hide every compressed slot.</summary>
        public static SpecRule SameLengthHidesCompressed { get; } = new SpecRule(
            "XF0152",
            "SameLength hides the compressed memory",
            "SameLength = true with Compressed = {0}: every query would see only the Memory keys ending at itself, so no query would ever see a compressed slot, which lie before the memory; remove SameLength, or Compressed");

        /// <summary>XF0153: pooling one position returns it unchanged.</summary>
        public static SpecRule PoolingCompressesNothing { get; } = new SpecRule(
            "XF0153",
            "Pooling with CompressionRatio = 1 compresses nothing",
            "Compression = CompressionFunction.{0} with CompressionRatio = 1: a pool of one position is that position, so the compressed memory would only be a longer memory; use CompressionRatio = 2 or more (the paper uses 3 or 4), or a longer Memory instead");

        /// <summary>XF0154: the reconstruction loss is the convolution's only training signal, and a weight must be a finite non-negative number.</summary>
        public static SpecRule ReconstructionWeightOutOfRange { get; } = new SpecRule(
            "XF0154",
            "ReconstructionWeight out of range",
            "ReconstructionWeight = {0} with Compression = CompressionFunction.{1}: {2}; use a finite weight of 0 or more (the paper's is 1), and more than 0 for a convolution");

        /// <summary>The family's rules and its ID block.</summary>
        public static SpecRuleSet All { get; } = new SpecRuleSet(Attribute,
            ImmutableEquatableArray.Create(new SpecIdBlock(140, 159)),
            ImmutableEquatableArray.Create(BidirectionalModel, OtherFamilyInTheModel, NeedsRelativePositions, RelativePositionsWithoutRecurrence, Reversible, EncoderDecoder, SecondDeclaration,
                CompressionWithoutCompressed, RatioDoesNotDivideMemory, SameLengthHidesCompressed, PoolingCompressesNothing, ReconstructionWeightOutOfRange));

        /// <summary>The problems of declaration <paramref name="index"/>, a <see cref="SegmentRecurrenceSpec"/>.</summary>
        public static IEnumerable<SpecProblem> Problems(SegmentRecurrenceSpec attention, ModelSpec model, int index)
        {
            if (!Memory.Contains(attention.Memory))
                yield return SpecValidation.RangeProblem(Memory, attention.Memory) with { AttentionIndex = index };
            if (!ClampLength.Contains(attention.ClampLength))
                yield return SpecValidation.RangeProblem(ClampLength, attention.ClampLength) with { AttentionIndex = index };
            foreach (var problem in CompressionProblems(attention))
                yield return problem with { AttentionIndex = index };
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

        // The Compressive Transformer's arguments (XF0150–XF0154), each at its own argument.
        private static IEnumerable<SpecProblem> CompressionProblems(SegmentRecurrenceSpec attention)
        {
            if (!Compressed.Contains(attention.Compressed))
            {
                yield return SpecValidation.RangeProblem(Compressed, attention.Compressed);
                yield break;
            }
            if (!attention.IsCompressive)
            {
                if (attention.HasCompressionSettings)
                {
                    var (argument, literal) = FirstCompressionSetting(attention);
                    yield return new SpecProblem(CompressionWithoutCompressed, Attribute, argument,
                        ImmutableEquatableArray.Create(argument, literal, SpecFormat.Int(Compressed.Example)));
                }
                yield break;
            }
            if (!System.Enum.IsDefined(typeof(CompressionFunction), attention.Compression))
                yield return SpecValidation.UndefinedEnumProblem(Attribute, "Compression", attention.Compression);
            if (!CompressionRatio.Contains(attention.CompressionRatio))
                yield return SpecValidation.RangeProblem(CompressionRatio, attention.CompressionRatio);
            else if (Memory.Contains(attention.Memory) && attention.Memory % attention.CompressionRatio != 0)
                yield return new SpecProblem(RatioDoesNotDivideMemory, Attribute, "CompressionRatio", ImmutableEquatableArray.Create(
                    SpecFormat.Int(attention.CompressionRatio), SpecFormat.Int(attention.Memory), SpecValidation.SuggestDivisors(attention.Memory, attention.CompressionRatio)));
            else if (attention.CompressionRatio == 1 && attention.Compression != CompressionFunction.Convolution)
                yield return new SpecProblem(PoolingCompressesNothing, Attribute, "Compression", ImmutableEquatableArray.Create(SpecFormat.Enum(attention.Compression)));
            if (attention.SameLength)
                yield return new SpecProblem(SameLengthHidesCompressed, Attribute, "SameLength", ImmutableEquatableArray.Create(SpecFormat.Int(attention.Compressed)));
            double weight = attention.ReconstructionWeight;
            string? why = double.IsNaN(weight) || double.IsInfinity(weight) ? "a weight must be a finite number"
                : weight < 0 ? "a negative weight would train the compression to lose what attention reads"
                : weight == 0 && attention.Compression == CompressionFunction.Convolution ? "the reconstruction loss is the convolution's only training signal (the language model's loss does not reach it: compressed slots are stored without gradient), so it would never learn"
                : null;
            if (why is not null)
                yield return new SpecProblem(ReconstructionWeightOutOfRange, Attribute, "ReconstructionWeight",
                    ImmutableEquatableArray.Create(SpecFormat.Double(weight), SpecFormat.Enum(attention.Compression), why));
        }

        // The first compression argument that differs from its default, as the user would have written it.
        private static (string Argument, string Literal) FirstCompressionSetting(SegmentRecurrenceSpec attention) =>
            attention.CompressionRatio != SegmentRecurrenceSpec.DefaultCompressionRatio ? ("CompressionRatio", SpecFormat.Int(attention.CompressionRatio))
            : attention.Compression != CompressionFunction.Convolution ? ("Compression", "CompressionFunction." + SpecFormat.Enum(attention.Compression))
            : ("ReconstructionWeight", SpecFormat.Double(attention.ReconstructionWeight));

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
