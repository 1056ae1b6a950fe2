using System;
using System.Collections.Generic;
using System.Linq;

namespace XformerDsl.Specs
{
    /// <summary>
    /// The pure rules over a <see cref="ModelSpec"/>. Compiled into XformerDsl.Dsl and linked into the generator, so
    /// a spec built at run time and a declaration checked at compile time meet the same rules with the same messages.
    /// </summary>
    public static class SpecValidation
    {
        /// <summary>Every broken rule, in declaration order (Transformer, attention, FeedForward, Positions, Normalization).</summary>
        public static ImmutableEquatableArray<SpecProblem> Validate(ModelSpec spec)
        {
            if (spec is null)
                throw new ArgumentNullException(nameof(spec));
            var problems = Problems(spec).ToList();
            // The budget is counted on the card, which needs a spec every other rule accepts.
            if (spec.Budget is { } budget)
                problems.AddRange(BudgetProblems(spec, budget, countable: problems.Count == 0));
            return problems.ToImmutableEquatableArray();
        }

        private static IEnumerable<SpecProblem> BudgetProblems(ModelSpec spec, BudgetSpec budget, bool countable)
        {
            if (budget.MultAdds < 0)
                yield return Problem(SpecRules.ValueOutOfRange, "Transformer", "MultAddsBudget",
                    "MultAddsBudget", SpecFormat.Int(budget.MultAdds), "1", SpecFormat.Int(long.MaxValue), "500000000");
            foreach (var problem in Range(SpecLimits.SentenceLength, budget.SentenceLength))
                yield return problem;
            if (!countable || budget.MultAdds <= 0 || !SpecLimits.SentenceLength.Contains(budget.SentenceLength))
                yield break;
            var card = ModelCard.Unchecked(spec);
            var parts = card.MultAddsParts(budget.SentenceLength);
            long total = parts.Sum(part => part.MultAdds);
            if (total <= budget.MultAdds)
                yield break;
            var largest = parts.OrderByDescending(part => part.MultAdds).First();
            yield return Problem(SpecRules.OverBudget, "Transformer", "MultAddsBudget",
                spec.Name, ModelCard.Grouped(total), SpecFormat.Int(budget.SentenceLength), ModelCard.Grouped(total - budget.MultAdds),
                ModelCard.Grouped(budget.MultAdds), largest.Part, ModelCard.Grouped(largest.MultAdds),
                (largest.MultAdds / (double)total).ToString("0%", System.Globalization.CultureInfo.InvariantCulture));
        }

        private static IEnumerable<SpecProblem> Problems(ModelSpec spec) =>
            spec.Encoder is { } encoder ? EncoderDecoderProblems(spec, encoder) : StackProblems(spec).Concat(SingleStackProblems(spec));

        // A model of one stack: its declarations cannot choose a stack.
        private static IEnumerable<SpecProblem> SingleStackProblems(ModelSpec spec)
        {
            for (int i = 0; i < spec.Attention.Count; i++)
            {
                var stack = spec.Attention[i].Stack;
                if (stack != ModelStack.Both)
                    yield return Problem(SpecRules.StackWithoutEncoder, spec.Attention[i].Attention.AttributeName, "Stack",
                        spec.Attention[i].Attention.AttributeName, "ModelStack." + SpecFormat.Enum(stack), spec.Name) with { AttentionIndex = i };
            }
        }

        // An encoder–decoder: the source side's own arguments, then each stack checked as a model of its own, its
        // problems mapped back to the declarations and attributes the user wrote (and said once when both stacks break a rule).
        private static IEnumerable<SpecProblem> EncoderDecoderProblems(ModelSpec spec, EncoderSpec encoder)
        {
            var problems = new List<SpecProblem>();
            problems.AddRange(Range(SpecLimits.EncoderDepth, encoder.Depth)
                .Concat(Range(SpecLimits.EncoderVocab, encoder.Vocab))
                .Concat(Range(SpecLimits.EncoderMaxLength, encoder.MaxLength)));
            if (!SpecLimits.CrossAttentionHeads.Contains(encoder.CrossAttentionHeads))
                problems.Add(RangeProblem(SpecLimits.CrossAttentionHeads, encoder.CrossAttentionHeads));
            else if (SpecLimits.Dim.Contains(spec.Dim) && spec.Dim % encoder.CrossAttentionHeads != 0)
                problems.Add(Problem(SpecRules.HeadsDoNotDivideDim, "Encoder", "CrossAttentionHeads",
                    SpecFormat.Int(encoder.CrossAttentionHeads), SpecFormat.Int(spec.Dim), SuggestHeads(spec.Dim, encoder.CrossAttentionHeads)));
            if (!spec.Causal)
                problems.Add(Problem(SpecRules.EncoderNeedsCausalDecoder, "Transformer", "Causal"));
            if (spec.Head is { } head)
                problems.Add(Problem(SpecRules.HeadOnEncoderDecoder, head.AttributeName, "", head.AttributeName, spec.Name));
            if (encoder.SharedEmbeddings && encoder.Vocab != spec.Vocab)
                problems.Add(Problem(SpecRules.SharedEmbeddingsNeedOneVocab, "Encoder", "SharedEmbeddings", SpecFormat.Int(encoder.Vocab), SpecFormat.Int(spec.Vocab)));
            if (spec.Reversible)
                problems.Add(Problem(SpecRules.EncoderDecoderNotReversible, "Reversible", ""));

            foreach (var (stack, other) in new[] { (ModelStack.Decoder, ModelStack.Encoder), (ModelStack.Encoder, ModelStack.Decoder) })
            {
                var declarations = spec.DeclarationsOf(stack);
                string stackName = stack == ModelStack.Encoder ? "encoder" : "decoder";
                if (declarations.Count == 0)
                {
                    if (spec.Attention.Count > 0)
                        problems.Add(Problem(SpecRules.StackWithoutAttention, "Encoder", "", stackName, spec.Name, SpecFormat.Enum(other), SpecFormat.Enum(stack)));
                    continue;
                }
                var view = stack == ModelStack.Decoder ? spec.DecoderStack() with { Head = null } : spec.EncoderStack();
                foreach (var problem in StackProblems(view))
                {
                    // The encoder's Vocab, Depth and MaxLength were checked above as [Encoder]'s; its other [Transformer] arguments are the decoder's.
                    if (stack == ModelStack.Encoder && problem.Attribute == "Transformer")
                        continue;
                    var mapped = problem.AttentionIndex is int index ? problem with { AttentionIndex = declarations[index] } : problem;
                    if (!problems.Contains(mapped))
                        problems.Add(mapped);
                }
            }
            return problems;
        }

        // The rules of one stack, with its head.
        private static IEnumerable<SpecProblem> StackProblems(ModelSpec spec)
        {
            foreach (var problem in Range(SpecLimits.Vocab, spec.Vocab)
                .Concat(Range(SpecLimits.Dim, spec.Dim))
                .Concat(Range(SpecLimits.Depth, spec.Depth))
                .Concat(Range(SpecLimits.MaxLength, spec.MaxLength)))
                yield return problem;

            if (!(spec.Dropout >= 0 && spec.Dropout < 1))   // also rejects NaN
                yield return Problem(SpecRules.DropoutOutOfRange, "Transformer", "Dropout", SpecFormat.Double(spec.Dropout));

            foreach (var problem in AttentionProblems(spec))
                yield return problem;

            foreach (var problem in Range(SpecLimits.Hidden, spec.FeedForward.Hidden))
                yield return problem;
            if (!IsDefined(spec.FeedForward.Activation))
                yield return UndefinedEnum("FeedForward", "Activation", spec.FeedForward.Activation);
            int chunks = spec.FeedForward.Chunks;
            if (!SpecLimits.Chunks.Contains(chunks))
                yield return RangeProblem(SpecLimits.Chunks, chunks);
            else if (SpecLimits.MaxLength.Contains(spec.MaxLength) && spec.MaxLength % chunks != 0)
                yield return Problem(SpecRules.ChunksDoNotDivideMaxLength, "FeedForward", "Chunks",
                    SpecFormat.Int(chunks), SpecFormat.Int(spec.MaxLength), SuggestDivisors(spec.MaxLength, chunks));

            var positions = spec.Positions;
            if (!IsDefined(positions.Kind))
                yield return UndefinedEnum("Positions", "Kind", positions.Kind);
            if (positions.Kind == PositionEncoding.Rotary)
            {
                foreach (var problem in RotaryProblems(spec))
                    yield return problem;
                if (!(positions.RotaryBase > 1) || double.IsInfinity(positions.RotaryBase))
                    yield return Problem(SpecRules.RotaryBaseTooSmall, "Positions", "RotaryBase", SpecFormat.Double(positions.RotaryBase));
            }
            foreach (var problem in SegmentRecurrenceRules.PositionProblems(spec))
                yield return problem;

            var norm = spec.Normalization;
            if (!IsDefined(norm.Kind))
                yield return UndefinedEnum("Normalization", "Kind", norm.Kind);
            if (!IsDefined(norm.Placement))
                yield return UndefinedEnum("Normalization", "Placement", norm.Placement);
            if (!(norm.Epsilon > 0) || double.IsInfinity(norm.Epsilon))
                yield return Problem(SpecRules.EpsilonNotPositive, "Normalization", "Epsilon", SpecFormat.Double(norm.Epsilon));

            if (spec.Reversible && norm.Placement == NormPlacement.Post)
                yield return Problem(SpecRules.ReversibleNeedsPreNorm, "Reversible", "");

            foreach (var problem in HeadProblems(spec))
                yield return problem;
        }

        // A classification or masked-LM head: its own arguments, and a bidirectional model under it.
        private static IEnumerable<SpecProblem> HeadProblems(ModelSpec spec)
        {
            switch (spec.Head)
            {
                case ClassificationHeadSpec classification:
                    foreach (var problem in Range(SpecLimits.Classes, classification.Classes))
                        yield return problem;
                    if (!IsDefined(classification.Pooling))
                        yield return UndefinedEnum(classification.AttributeName, "Pooling", classification.Pooling);
                    foreach (var problem in InducedAttentionRules.PoolingProblems(spec))
                        yield return problem;
                    break;
                case MaskedLanguageModelHeadSpec masked:
                    if (SpecLimits.Vocab.Contains(spec.Vocab) && (masked.MaskToken < 0 || masked.MaskToken >= spec.Vocab))
                        yield return Problem(SpecRules.MaskTokenOutsideVocab, masked.AttributeName, "MaskToken",
                            SpecFormat.Int(masked.MaskToken), SpecFormat.Int(spec.Vocab), SpecFormat.Int(spec.Vocab - 1));
                    break;
                default:
                    yield break;
            }
            if (spec.Causal)
                yield return Problem(SpecRules.HeadNeedsBidirectional, spec.Head.AttributeName, "", spec.Head.AttributeName);
        }

        // Each declaration's own settings, then how the declarations share the layers.
        private static IEnumerable<SpecProblem> AttentionProblems(ModelSpec spec)
        {
            var declarations = spec.Attention;
            bool depthInRange = SpecLimits.Depth.Contains(spec.Depth);
            for (int i = 0; i < declarations.Count; i++)
            {
                var attention = declarations[i].Attention;
                string name = attention.AttributeName;
                int heads = attention.Heads;
                if (!SpecLimits.Heads.Contains(heads))
                    yield return RangeProblem(SpecLimits.Heads with { Attribute = name }, heads) with { AttentionIndex = i };
                // A family that gives attention part of the width checks Heads against that width itself.
                else if (SpecLimits.Dim.Contains(spec.Dim) && attention.Width(spec.Dim) == spec.Dim && spec.Dim % heads != 0)
                    yield return Problem(SpecRules.HeadsDoNotDivideDim, name, "Heads",
                        SpecFormat.Int(heads), SpecFormat.Int(spec.Dim), SuggestHeads(spec.Dim, heads)) with { AttentionIndex = i };

                foreach (var problem in attention.Problems(spec, i))
                    yield return problem;

                var selector = declarations[i].Layers;
                if (selector.Layers is not null && selector.Every is not null)
                {
                    yield return Problem(SpecRules.LayersAndEvery, name, "Every", Describe(declarations[i])) with { AttentionIndex = i };
                    continue;
                }
                if (!depthInRange)
                    continue;
                if (selector.Layers is { } layers)
                {
                    var outside = layers.Where(layer => layer < 0 || layer >= spec.Depth).Distinct().ToList();
                    if (layers.IsEmpty || outside.Count > 0)
                        yield return Problem(SpecRules.LayerOutOfRange, name, "Layers",
                            selector.Arguments().Single().Literal, layers.IsEmpty ? "no layer" : LayerList(outside),
                            SpecFormat.Int(spec.Depth), SpecFormat.Int(spec.Depth - 1)) with { AttentionIndex = i };
                    var repeated = layers.GroupBy(layer => layer).Where(group => group.Count() > 1).Select(group => group.Key).OrderBy(layer => layer).ToList();
                    if (repeated.Count > 0)
                        yield return Problem(SpecRules.LayerNamedTwice, name, "Layers",
                            selector.Arguments().Single().Literal, LayerList(repeated),
                            LayerSelector.Of(layers.Distinct().OrderBy(layer => layer).ToArray()).Arguments().Single().Literal) with { AttentionIndex = i };
                }
                if (selector.Every is int every && (every < 1 || every > spec.Depth))
                    yield return Problem(SpecRules.EveryOutOfRange, name, "Every",
                        SpecFormat.Int(every), SpecFormat.Int(spec.Depth), SpecFormat.Int(Math.Max(1, Math.Min(4, spec.Depth)))) with { AttentionIndex = i };
            }

            int firstRemaining = -1;
            for (int i = 0; i < declarations.Count; i++)
            {
                if (!declarations[i].Layers.IsRemaining)
                    continue;
                if (firstRemaining < 0)
                    firstRemaining = i;
                else
                    yield return Problem(SpecRules.ConflictingAttention, declarations[i].Attention.AttributeName, "",
                        spec.Name, declarations[firstRemaining].Attention.AttributeName, declarations[i].Attention.AttributeName) with { AttentionIndex = i };
            }
            if (!depthInRange || declarations.IsEmpty)
                yield break;

            // Named layers: each layer once. The later declaration is the one reported, at its selector.
            var claimedBy = new int[spec.Depth];
            for (int layer = 0; layer < spec.Depth; layer++)
                claimedBy[layer] = -1;
            for (int i = 0; i < declarations.Count; i++)
            {
                var selector = declarations[i].Layers;
                if (selector.Layers is not null && selector.Every is not null)
                    continue;
                var shared = new Dictionary<int, List<int>>();
                foreach (int layer in selector.NamedLayers(spec.Depth))
                {
                    if (claimedBy[layer] < 0)
                        claimedBy[layer] = i;
                    else
                    {
                        if (!shared.TryGetValue(claimedBy[layer], out var list))
                            shared[claimedBy[layer]] = list = new List<int>();
                        list.Add(layer);
                    }
                }
                foreach (var pair in shared.OrderBy(p => p.Key))
                    yield return Problem(SpecRules.LayersOverlap, declarations[i].Attention.AttributeName, selector.Layers is not null ? "Layers" : "Every",
                        Describe(declarations[pair.Key]), Describe(declarations[i]), LayerList(pair.Value)) with { AttentionIndex = i };
            }

            // The declaration taking the remaining layers when the others name them all would silently do nothing.
            if (firstRemaining >= 0 && claimedBy.All(claimer => claimer >= 0))
                yield return Problem(SpecRules.AttentionWithoutLayers, declarations[firstRemaining].Attention.AttributeName, "",
                    Describe(declarations[firstRemaining]), SpecFormat.Int(spec.Depth)) with { AttentionIndex = firstRemaining };

            if (firstRemaining < 0)
            {
                var uncovered = Enumerable.Range(0, spec.Depth).Where(layer => claimedBy[layer] < 0).ToList();
                if (uncovered.Count > 0)
                    yield return Problem(SpecRules.LayersWithoutAttention, declarations[0].Attention.AttributeName, "",
                        Capitalized(LayerList(uncovered)), SpecFormat.Int(spec.Depth), uncovered.Count == 1 ? "has" : "have",
                        uncovered.Count == 1 ? "it" : "them") with { AttentionIndex = 0 };
            }
        }

        // Rotary angles rotate pairs of dimensions in one table shared by every layer: an even head size, the same everywhere.
        private static IEnumerable<SpecProblem> RotaryProblems(ModelSpec spec)
        {
            if (!SpecLimits.Dim.Contains(spec.Dim))
                yield break;
            var dividing = Enumerable.Range(0, spec.Attention.Count)
                .Where(i => SpecLimits.Heads.Contains(spec.Attention[i].Attention.Heads) && spec.Dim % spec.Attention[i].Attention.Heads == 0)
                .ToList();
            foreach (int i in dividing)
            {
                int heads = spec.Attention[i].Attention.Heads;
                if (spec.HeadDimOf(spec.Attention[i].Attention) % 2 != 0)
                {
                    yield return Problem(SpecRules.RotaryNeedsEvenHeadDim, "Positions", "Kind",
                        SpecFormat.Int(spec.Dim), SpecFormat.Int(heads), SpecFormat.Int(spec.Dim / heads), SuggestEvenHeadDim(spec.Dim, heads));
                    yield break;
                }
            }
            if (dividing.Count > 1)
            {
                var first = spec.Attention[dividing[0]];
                int firstHeadDim = spec.HeadDimOf(first.Attention);
                foreach (int i in dividing.Skip(1))
                {
                    int headDim = spec.HeadDimOf(spec.Attention[i].Attention);
                    if (headDim != firstHeadDim)
                    {
                        yield return Problem(SpecRules.RotaryNeedsOneHeadSize, spec.Attention[i].Attention.AttributeName, "Heads",
                            Describe(first), SpecFormat.Int(firstHeadDim), Describe(spec.Attention[i]), SpecFormat.Int(headDim)) with { AttentionIndex = i };
                        yield break;
                    }
                }
            }
        }

        /// <summary>A declaration as users write it, without its family settings: <c>FullAttention(Every = 4)</c>.</summary>
        private static string Describe(LayerAttention declaration)
        {
            var arguments = declaration.Layers.Arguments().Select(a => a.Name + " = " + a.Literal).ToList();
            return declaration.Attention.AttributeName + (arguments.Count == 0 ? "" : "(" + string.Join(", ", arguments) + ")");
        }

        /// <summary><c>layer 3</c>, <c>layers 3 and 7</c>, <c>layers 3, 7 and 11</c>; long lists are cut after eight.</summary>
        private static string LayerList(IReadOnlyList<int> layers)
        {
            var shown = layers.Take(8).Select(layer => SpecFormat.Int(layer)).ToList();
            if (layers.Count == 1)
                return "layer " + shown[0];
            if (layers.Count > 8)
                return "layers " + string.Join(", ", shown) + " and " + SpecFormat.Int(layers.Count - 8) + " more";
            return "layers " + string.Join(", ", shown.Take(shown.Count - 1)) + " and " + shown[shown.Count - 1];
        }

        private static string Capitalized(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text.Substring(1);

        private static IEnumerable<SpecProblem> Range(SizeLimit limit, int value)
        {
            if (!limit.Contains(value))
                yield return RangeProblem(limit, value);
        }

        internal static SpecProblem RangeProblem(SizeLimit limit, int value) =>
            Problem(SpecRules.ValueOutOfRange, limit.Attribute, limit.Argument,
                limit.Argument, SpecFormat.Int(value), SpecFormat.Int(limit.Min), SpecFormat.Int(limit.Max), SpecFormat.Int(limit.Example));

        /// <summary>XF0019 for a family's enum argument that names no member.</summary>
        internal static SpecProblem UndefinedEnumProblem<TEnum>(string attribute, string argument, TEnum value) where TEnum : struct, IConvertible =>
            UndefinedEnum(attribute, argument, value);

        private static SpecProblem UndefinedEnum<TEnum>(string attribute, string argument, TEnum value) where TEnum : struct, IConvertible =>
            Problem(SpecRules.UndefinedEnumValue, attribute, argument,
                argument, SpecFormat.Enum(value), typeof(TEnum).Name,
                string.Join(", ", Enum.GetNames(typeof(TEnum)).Select(name => typeof(TEnum).Name + "." + name)));

        private static SpecProblem Problem(SpecRule rule, string attribute, string argument, params string[] messageArguments) =>
            new SpecProblem(rule, attribute, argument, ImmutableEquatableArray.Create(messageArguments));

        private static bool IsDefined<TEnum>(TEnum value) where TEnum : struct => Enum.IsDefined(typeof(TEnum), value);

        /// <summary>
        /// The two smallest divisors of <paramref name="dim"/> not below the requested head count (or the largest ones
        /// below it when none is above): "4 or 8" for Heads = 3, Dim = 256.
        /// </summary>
        internal static string SuggestHeads(int dim, int heads)
        {
            var divisors = Enumerable.Range(1, Math.Min(dim, SpecLimits.Heads.Max)).Where(d => dim % d == 0).ToList();
            var above = divisors.Where(d => d >= heads).Take(2).ToList();
            var picks = above.Count > 0 ? above : divisors.Where(d => d < heads).Reverse().Take(2).Reverse().ToList();
            return string.Join(" or ", picks.Select(d => SpecFormat.Int(d)));
        }

        /// <summary>
        /// The divisors of <paramref name="length"/> nearest <paramref name="requested"/>, one on each side when both
        /// exist: "4 or 8" for Chunks = 6, MaxLength = 1024.
        /// </summary>
        internal static string SuggestDivisors(int length, int requested)
        {
            int? below = null, above = null;
            for (int d = Math.Min(requested, length); d >= 1 && below is null; d--)
                if (length % d == 0) below = d;
            for (int d = Math.Max(requested, 1); d <= length && above is null; d++)
                if (length % d == 0) above = d;
            var picks = new[] { below, above }.Where(d => d is not null).Select(d => d!.Value).Distinct().ToList();
            return string.Join(" or ", picks.Select(d => SpecFormat.Int(d)));
        }

        /// <summary>A head count nearest the requested one whose head size is even, or advice to make Dim even.</summary>
        internal static string SuggestEvenHeadDim(int dim, int heads)
        {
            var candidates = Enumerable.Range(1, Math.Min(dim, SpecLimits.Heads.Max))
                .Where(h => dim % h == 0 && (dim / h) % 2 == 0)
                .OrderBy(h => Math.Abs(h - heads)).ThenBy(h => h)
                .ToList();
            return candidates.Count == 0
                ? "make Dim even (a multiple of 2·Heads), or use Kind = Learned or Sinusoidal"
                : $"use Heads = {SpecFormat.Int(candidates[0])} (head size {SpecFormat.Int(dim / candidates[0])}), or use Kind = Learned or Sinusoidal";
        }
    }
}
