using System;
using System.Collections.Immutable;
using System.Linq;
using XformerDsl.Generator.Families;

namespace XformerDsl.Generator
{
    /// <summary>
    /// The metadata names of the XformerDsl attributes the generator reads. The attributes are compiled into the
    /// generator, so the names come from <c>typeof</c>: renaming an attribute breaks this build, not a user's.
    /// </summary>
    internal static class KnownAttributes
    {
        public static readonly string Namespace = typeof(TransformerAttribute).Namespace!;
        public static readonly string Transformer = typeof(TransformerAttribute).FullName!;
        public static readonly string FeedForward = typeof(FeedForwardAttribute).FullName!;
        public static readonly string Positions = typeof(PositionsAttribute).FullName!;
        public static readonly string Normalization = typeof(NormalizationAttribute).FullName!;
        public static readonly string Reversible = typeof(ReversibleAttribute).FullName!;
        public static readonly string ConvertsFrom = typeof(ConvertsFromAttribute).FullName!;
        public static readonly string ClassificationHead = typeof(ClassificationHeadAttribute).FullName!;
        public static readonly string MaskedLanguageModelHead = typeof(MaskedLanguageModelHeadAttribute).FullName!;
        public static readonly string Encoder = typeof(EncoderAttribute).FullName!;

        /// <summary>
        /// Attributes that shape a model but mean nothing without <c>[Transformer]</c>: the frame's and every attention
        /// family's. Each gets an orphan check.
        /// </summary>
        public static ImmutableArray<string> RequiringTransformer { get; } =
            ImmutableArray.Create(FeedForward, Positions, Normalization, Reversible, ConvertsFrom, ClassificationHead, MaskedLanguageModelHead, Encoder).AddRange(AttentionFamilies.All.Select(family => family.MetadataName));

        /// <summary><c>XformerDsl.FeedForwardAttribute</c> → <c>FeedForward</c>.</summary>
        public static string ShortName(string metadataName)
        {
            var name = metadataName.Substring(metadataName.LastIndexOf('.') + 1);
            return name.EndsWith("Attribute", StringComparison.Ordinal) ? name.Substring(0, name.Length - "Attribute".Length) : name;
        }
    }
}
