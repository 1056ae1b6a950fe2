using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using XformerDsl.Generator.Diagnostics;
using XformerDsl.Generator.Families;
using XformerDsl.Generator.Model;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Parsing
{
    /// <summary>
    /// Reads a <c>[Transformer]</c> class's attributes into its <see cref="ModelSpec"/>: the frame's attributes here, each
    /// attention attribute through its family (<see cref="AttentionFamily.Parse"/>). Argument names come from
    /// <c>nameof</c> on the attributes, which are compiled into the generator.
    /// </summary>
    internal static class SpecReader
    {
        /// <summary>
        /// Reads a <c>[Transformer]</c> class's attributes into its spec, every default resolved (not yet validated);
        /// null when a required part is missing. Fills <paramref name="readers"/> (by attribute name) and
        /// <paramref name="attentionReaders"/> (in declaration order) so problems can be located. Used for the model
        /// being generated and, with a throwaway diagnostics list, for the source a <c>[ConvertsFrom]</c> names.
        /// </summary>
        internal static ModelSpec? Read(INamedTypeSymbol type, AttributeData transformerAttribute, IEnumerable<AttributeData> attributes,
            Dictionary<string, AttributeArguments> readers, List<AttributeArguments> attentionReaders, List<DiagnosticInfo> diagnostics,
            CancellationToken cancellationToken)
        {
            var transformer = AttributeArguments.Read(transformerAttribute, KnownAttributes.ShortName(KnownAttributes.Transformer), diagnostics, cancellationToken);
            readers[transformer.AttributeName] = transformer;

            // Attention: one or more attributes of any family, each applying to the layers its selector names.
            var attentionAttributes = attributes
                .Select(a => (Attribute: a, Family: a.AttributeClass is null ? null : AttentionFamilies.ByMetadataName(a.AttributeClass.ToDisplayString())))
                .Where(x => x.Family is not null)
                .ToList();
            var declarations = new List<LayerAttention>();
            if (attentionAttributes.Count == 0)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoAttention, transformer.Location, type.Name));
            foreach (var (attribute, family) in attentionAttributes)
            {
                var reader = AttributeArguments.Read(attribute, family!.AttributeName, diagnostics, cancellationToken);
                attentionReaders.Add(reader);
                var selector = new LayerSelector(reader.IntArray(nameof(AttentionAttribute.Layers)), reader.IsWritten(nameof(AttentionAttribute.Every)) ? reader.OptionalInt(nameof(AttentionAttribute.Every)) : null);
                if (family.Parse(reader) is { } attention)
                    declarations.Add(new LayerAttention(attention, selector, reader.Enum(nameof(AttentionAttribute.Stack), ModelStack.Both)));
            }
            bool attentionParsed = attentionAttributes.Count > 0 && declarations.Count == attentionAttributes.Count;

            var feedForward = ReadOptional(attributes, KnownAttributes.FeedForward, readers, diagnostics, cancellationToken);
            var positions = ReadOptional(attributes, KnownAttributes.Positions, readers, diagnostics, cancellationToken);
            var normalization = ReadOptional(attributes, KnownAttributes.Normalization, readers, diagnostics, cancellationToken);
            var reversible = ReadOptional(attributes, KnownAttributes.Reversible, readers, diagnostics, cancellationToken);
            var classification = ReadOptional(attributes, KnownAttributes.ClassificationHead, readers, diagnostics, cancellationToken);
            var masked = ReadOptional(attributes, KnownAttributes.MaskedLanguageModelHead, readers, diagnostics, cancellationToken);
            var encoder = ReadOptional(attributes, KnownAttributes.Encoder, readers, diagnostics, cancellationToken);
            if (classification is not null && masked is not null)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TwoHeads, masked.Location, type.Name, classification.AttributeName, masked.AttributeName));
            var head = ReadHead(classification, masked);
            bool headParsed = head is not null || (classification is null && masked is null);

            int? vocab = transformer.RequiredInt(nameof(TransformerAttribute.Vocab), SpecLimits.Vocab);
            int? dim = transformer.RequiredInt(nameof(TransformerAttribute.Dim), SpecLimits.Dim);
            int? depth = transformer.RequiredInt(nameof(TransformerAttribute.Depth), SpecLimits.Depth);
            int? maxLength = transformer.RequiredInt(nameof(TransformerAttribute.MaxLength), SpecLimits.MaxLength);

            // The source side: its vocabulary and length default to the target's, its cross-attention heads to the decoder's.
            EncoderSpec? encoderSpec = null;
            bool encoderParsed = true;
            if (encoder is not null)
            {
                int? encoderDepth = encoder.RequiredInt(nameof(EncoderAttribute.Depth), SpecLimits.EncoderDepth);
                encoderParsed = encoderDepth is not null;
                if (encoderDepth is int e && vocab is int targetVocab && maxLength is int targetLength)
                {
                    var decoderHeads = declarations.Where(d => d.AppliesTo(ModelStack.Decoder)).Select(d => (int?)d.Attention.Heads).FirstOrDefault();
                    encoderSpec = new EncoderSpec(
                        Vocab: NonZero(encoder.OptionalInt(nameof(EncoderAttribute.Vocab))) ?? targetVocab,
                        Depth: e,
                        MaxLength: NonZero(encoder.OptionalInt(nameof(EncoderAttribute.MaxLength))) ?? targetLength,
                        SharedEmbeddings: encoder.Bool(nameof(EncoderAttribute.SharedEmbeddings), SpecDefaults.SharedEmbeddings),
                        CrossAttentionHeads: NonZero(encoder.OptionalInt(nameof(EncoderAttribute.CrossAttentionHeads))) ?? decoderHeads ?? 1);
                }
            }

            if (vocab is int v && dim is int d && depth is int n && maxLength is int l && attentionParsed && encoderParsed && headParsed)
            {
                // Hidden defaults to 4·Dim; with Dim itself out of range (reported below) use a harmless stand-in.
                int defaultHidden = SpecDefaults.HiddenPerDim * (SpecLimits.Dim.Contains(d) ? d : SpecLimits.Dim.Example);
                return new ModelSpec(
                    Name: type.Name,
                    Vocab: v,
                    Dim: d,
                    Depth: n,
                    MaxLength: l,
                    Causal: transformer.Bool(nameof(TransformerAttribute.Causal), SpecDefaults.Causal),
                    Bias: transformer.Bool(nameof(TransformerAttribute.Bias), SpecDefaults.Bias),
                    TiedEmbeddings: transformer.Bool(nameof(TransformerAttribute.TiedEmbeddings), SpecDefaults.TiedEmbeddings),
                    Dropout: transformer.Double(nameof(TransformerAttribute.Dropout), SpecDefaults.Dropout),
                    Attention: declarations.ToImmutableEquatableArray(),
                    FeedForward: new FeedForwardSpec(
                        feedForward?.OptionalInt(nameof(FeedForwardAttribute.Hidden)) ?? defaultHidden,
                        feedForward?.Enum(nameof(FeedForwardAttribute.Activation), SpecDefaults.Activation) ?? SpecDefaults.Activation,
                        feedForward?.OptionalInt(nameof(FeedForwardAttribute.Chunks)) ?? SpecDefaults.FeedForwardChunks),
                    Positions: new PositionSpec(
                        positions?.Enum(nameof(PositionsAttribute.Kind), SpecDefaults.Positions) ?? SpecDefaults.Positions,
                        positions?.Double(nameof(PositionsAttribute.RotaryBase), SpecDefaults.RotaryBase) ?? SpecDefaults.RotaryBase),
                    Normalization: new NormSpec(
                        normalization?.Enum(nameof(NormalizationAttribute.Kind), SpecDefaults.Norm) ?? SpecDefaults.Norm,
                        normalization?.Enum(nameof(NormalizationAttribute.Placement), SpecDefaults.Placement) ?? SpecDefaults.Placement,
                        normalization?.Double(nameof(NormalizationAttribute.Epsilon), SpecDefaults.Epsilon) ?? SpecDefaults.Epsilon),
                    Reversible: reversible is not null,
                    Head: head,
                    Encoder: encoderSpec,
                    Budget: transformer.OptionalLong(nameof(TransformerAttribute.MultAddsBudget)) is long budget and not 0
                        ? new BudgetSpec(budget, transformer.OptionalInt(nameof(TransformerAttribute.SentenceLength)) ?? SpecDefaults.SentenceLength)
                        : null);
            }
            return null;
        }

        // 0 is the "not set" of the optional Encoder arguments.
        private static int? NonZero(int? value) => value == 0 ? null : value;

        // The output head: null is the language-model head. With both heads (XF0081, reported above) the masked-LM head stands.
        private static HeadSpec? ReadHead(AttributeArguments? classification, AttributeArguments? masked)
        {
            if (masked is not null)
                return masked.RequiredInt(nameof(MaskedLanguageModelHeadAttribute.MaskToken), SpecLimits.Vocab) is int maskToken
                    ? new MaskedLanguageModelHeadSpec(maskToken)
                    : null;
            if (classification is not null)
                return classification.RequiredInt(nameof(ClassificationHeadAttribute.Classes), SpecLimits.Classes) is int classes
                    ? new ClassificationHeadSpec(classes, classification.Enum(nameof(ClassificationHeadAttribute.Pooling), SpecDefaults.Pooling))
                    : null;
            return null;
        }

        private static AttributeArguments? ReadOptional(IEnumerable<AttributeData> attributes, string metadataName,
            Dictionary<string, AttributeArguments> readers, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
        {
            // A duplicate is the compiler's CS0579; the first application is the one that counts.
            var attribute = attributes.FirstOrDefault(a => ModelParser.Is(a, metadataName));
            if (attribute is null)
                return null;
            var attributeName = KnownAttributes.ShortName(metadataName);
            var reader = AttributeArguments.Read(attribute, attributeName, diagnostics, cancellationToken);
            readers[attributeName] = reader;
            return reader;
        }
    }
}
