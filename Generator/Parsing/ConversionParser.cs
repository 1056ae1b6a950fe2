using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using XformerDsl.Generator.Diagnostics;
using XformerDsl.Generator.Model;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Parsing
{
    /// <summary>
    /// Reads <c>[ConvertsFrom(typeof(Source))]</c>: parses the source class's own attributes with the same parser into
    /// a spec, and reports every part of the two frames that differs (XF0055) at the <c>typeof</c> argument, or a
    /// source that is not a model (XF0054). Total: a missing type, an open generic or null never throws; what the
    /// compiler already reports (an unknown type, a broken attribute, a source with its own errors) stays silent.
    /// </summary>
    internal static class ConversionParser
    {
        public static ConversionSource? Read(INamedTypeSymbol type, IEnumerable<AttributeData> attributes, ModelSpec target,
            List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
        {
            var attribute = attributes.FirstOrDefault(a => ModelParser.Is(a, KnownAttributes.ConvertsFrom));
            if (attribute is null || attribute.AttributeConstructor is null || attribute.ConstructorArguments.Length != 1)
                return null;
            var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
            var location = LocationInfo.From((SyntaxNode?)syntax?.ArgumentList?.Arguments.FirstOrDefault()) ?? LocationInfo.From((SyntaxNode?)syntax);

            var argument = attribute.ConstructorArguments[0];
            if (argument.Kind == TypedConstantKind.Error)
                return null;
            if (argument.Value is not INamedTypeSymbol source)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ConversionSourceNotAModel, location, type.Name,
                    argument.Value is ITypeSymbol other ? "'" + other.ToDisplayString() + "'" : "null"));
                return null;
            }
            if (source.TypeKind == TypeKind.Error)
                return null;   // the compiler reports the unknown type
            var sourceAttributes = source.GetAttributes();
            var transformer = source.IsUnboundGenericType ? null : sourceAttributes.FirstOrDefault(a => ModelParser.Is(a, KnownAttributes.Transformer));
            if (transformer is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ConversionSourceNotAModel, location, type.Name, "'" + source.ToDisplayString() + "'"));
                return null;
            }

            // The source's own problems are reported on its own declaration; a conversion from it has nothing to check.
            var readers = new Dictionary<string, AttributeArguments>();
            var attentionReaders = new List<AttributeArguments>();
            var spec = SpecReader.Read(source, transformer, sourceAttributes, readers, attentionReaders, new List<DiagnosticInfo>(), cancellationToken);
            if (spec is null || readers.Values.Concat(attentionReaders).Any(r => r.IsBroken) || !spec.Validate().IsEmpty || source.TypeParameters.Length > 0)
                return null;

            int before = diagnostics.Count;
            foreach (var difference in Differences(target, spec))
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.IncompatibleConversion, location,
                    target.Name, difference.TargetValue, spec.Name, difference.SourceValue, "declare " + target.Name + " with " + difference.SourceValue));
            return diagnostics.Count == before
                ? new ConversionSource(source.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), source.Name)
                : null;
        }

        /// <summary>
        /// Every part of the frame in which <paramref name="target"/> differs from <paramref name="source"/>: what
        /// <c>WeightTransfer</c> needs the same for each shared weight to keep its shape and its meaning.
        /// MaxLength counts only with learned positions (the position table); attention families may differ, heads may not.
        /// </summary>
        internal static IEnumerable<(string TargetValue, string SourceValue)> Differences(ModelSpec target, ModelSpec source)
        {
            static (string, string)? Compare<T>(string name, T target, T source, System.Func<T, string> format, string? attribute = null) =>
                EqualityComparer<T>.Default.Equals(target, source) ? null
                    : (Text(name, format(target), attribute), Text(name, format(source), attribute));
            static string Text(string name, string value, string? attribute) => attribute is null ? $"{name} = {value}" : $"[{attribute}({name} = {value})]";

            var differences = new List<(string, string)?>
            {
                Compare(nameof(TransformerAttribute.Vocab), target.Vocab, source.Vocab, n => SpecFormat.Int(n)),
                Compare(nameof(TransformerAttribute.Dim), target.Dim, source.Dim, n => SpecFormat.Int(n)),
                Compare(nameof(TransformerAttribute.Depth), target.Depth, source.Depth, n => SpecFormat.Int(n)),
                target.Positions.Kind == PositionEncoding.Learned || source.Positions.Kind == PositionEncoding.Learned
                    ? Compare(nameof(TransformerAttribute.MaxLength), target.MaxLength, source.MaxLength, n => SpecFormat.Int(n)) : null,
                Compare(nameof(TransformerAttribute.Causal), target.Causal, source.Causal, SpecFormat.Bool),
                Compare(nameof(TransformerAttribute.Bias), target.Bias, source.Bias, SpecFormat.Bool),
                Compare(nameof(TransformerAttribute.TiedEmbeddings), target.TiedEmbeddings, source.TiedEmbeddings, SpecFormat.Bool),
                Compare(nameof(PositionsAttribute.Kind), target.Positions.Kind, source.Positions.Kind, k => "PositionEncoding." + SpecFormat.Enum(k), "Positions"),
                target.Positions.Kind == PositionEncoding.Rotary && source.Positions.Kind == PositionEncoding.Rotary
                    ? Compare(nameof(PositionsAttribute.RotaryBase), target.Positions.RotaryBase, source.Positions.RotaryBase, SpecFormat.Double, "Positions") : null,
                Compare(nameof(NormalizationAttribute.Kind), target.Normalization.Kind, source.Normalization.Kind, k => "NormKind." + SpecFormat.Enum(k), "Normalization"),
                Compare(nameof(NormalizationAttribute.Placement), target.Normalization.Placement, source.Normalization.Placement, p => "NormPlacement." + SpecFormat.Enum(p), "Normalization"),
                Compare(nameof(NormalizationAttribute.Epsilon), target.Normalization.Epsilon, source.Normalization.Epsilon, SpecFormat.Double, "Normalization"),
                // Hidden defaults to 4·Dim: when it only follows a Dim that differs, the Dim difference names the fix.
                (long)target.FeedForward.Hidden * source.Dim == (long)source.FeedForward.Hidden * target.Dim && target.Dim != source.Dim ? null
                    : Compare(nameof(FeedForwardAttribute.Hidden), target.FeedForward.Hidden, source.FeedForward.Hidden, n => SpecFormat.Int(n), "FeedForward"),
                Compare(nameof(FeedForwardAttribute.Activation), target.FeedForward.Activation, source.FeedForward.Activation, a => "Activation." + SpecFormat.Enum(a), "FeedForward"),
                target.Reversible == source.Reversible ? null
                    : (target.Reversible ? "[Reversible]" : "no [Reversible]", source.Reversible ? "[Reversible]" : "no [Reversible]"),
            };
            // An encoder–decoder converts from an encoder–decoder: the encoder's frame must agree as the decoder's does.
            if (target.Encoder is { } targetEncoder && source.Encoder is { } sourceEncoder)
            {
                differences.Add(Compare(nameof(EncoderAttribute.Depth), targetEncoder.Depth, sourceEncoder.Depth, n => SpecFormat.Int(n), "Encoder"));
                differences.Add(Compare(nameof(EncoderAttribute.Vocab), targetEncoder.Vocab, sourceEncoder.Vocab, n => SpecFormat.Int(n), "Encoder"));
                if (target.Positions.Kind == PositionEncoding.Learned || source.Positions.Kind == PositionEncoding.Learned)
                    differences.Add(Compare(nameof(EncoderAttribute.MaxLength), targetEncoder.MaxLength, sourceEncoder.MaxLength, n => SpecFormat.Int(n), "Encoder"));
                differences.Add(Compare(nameof(EncoderAttribute.SharedEmbeddings), targetEncoder.SharedEmbeddings, sourceEncoder.SharedEmbeddings, SpecFormat.Bool, "Encoder"));
                differences.Add(Compare(nameof(EncoderAttribute.CrossAttentionHeads), targetEncoder.CrossAttentionHeads, sourceEncoder.CrossAttentionHeads, n => SpecFormat.Int(n), "Encoder"));
            }
            else if (target.Encoder is not null || source.Encoder is not null)
            {
                differences.Add((target.Encoder is null ? "no [Encoder]" : "[Encoder]", source.Encoder is null ? "no [Encoder]" : "[Encoder]"));
            }
            foreach (var difference in differences)
            {
                if (difference is { } d)
                    yield return d;
            }
            if (target.Encoder is not null && source.Encoder is not null && target.Encoder.Depth == source.Encoder.Depth
                && LayerDifference(target.EncoderStack(), source.EncoderStack(), "encoder layer") is { } encoderLayer)
                yield return encoderLayer;
            if (target.Depth == source.Depth && (target.Encoder is null) == (source.Encoder is null)
                && LayerDifference(target, source, target.Encoder is null ? "layer" : "decoder layer") is { } layerDifference)
                yield return layerDifference;
        }

        // The first layer whose attention's heads or width differ (its projections would not fit); one names the fix.
        private static (string TargetValue, string SourceValue)? LayerDifference(ModelSpec target, ModelSpec source, string layerName)
        {
            for (int layer = 0; layer < target.Depth; layer++)
            {
                var targetAttention = target.AttentionAt(layer);
                var sourceAttention = source.AttentionAt(layer);
                if (targetAttention.Heads != sourceAttention.Heads)
                    return ($"Heads = {targetAttention.Heads} in {layerName} {layer}", $"Heads = {sourceAttention.Heads} in {layerName} {layer}");
                // With Dims that differ, the Dim difference names the fix.
                int targetWidth = targetAttention.Width(target.Dim), sourceWidth = sourceAttention.Width(source.Dim);
                if (targetWidth != sourceWidth && target.Dim == source.Dim)
                    return ($"attention on {targetWidth} channels in {layerName} {layer}", $"attention on {sourceWidth} channels in {layerName} {layer}");
            }
            return null;
        }
    }
}
