using System;
using System.Collections.Immutable;
using System.Linq;
using XformerDsl.Generator.Emit.Attention;
using XformerDsl.Generator.Parsing;
using XformerDsl.Specs;

namespace XformerDsl.Generator
{
    /// <summary>
    /// One attention family: its attribute, how to read the attribute into its <see cref="AttentionSpec"/>, how to
    /// write the spec back as arguments (for the header and the emitted <c>Spec</c>), and what it emits into its
    /// attention class. The parser, the orphan check and the emitters all go through <see cref="AttentionFamilies.All"/>,
    /// so a new family adds one entry here, an attribute in Dsl/Attributes, a spec record (with its own rules) in
    /// Dsl/Specs, and an <see cref="AttentionEmitter"/> in Generator/Emit/Attention.
    /// </summary>
    internal sealed class AttentionFamily
    {
        public AttentionFamily(string attributeName, string specTypeName,
            Func<AttributeArguments, AttentionSpec?> parse,
            Func<AttentionSpec, ImmutableArray<(string Name, string Literal)>> arguments,
            AttentionEmitter emitter)
        {
            AttributeName = attributeName;
            SpecTypeName = specTypeName;
            Parse = parse;
            Arguments = arguments;
            Emitter = emitter;
        }

        /// <summary>As users write it, e.g. <c>FullAttention</c>; equals <see cref="AttentionSpec.AttributeName"/>.</summary>
        public string AttributeName { get; }

        /// <summary>The attribute's metadata name, e.g. <c>XformerDsl.FullAttentionAttribute</c>.</summary>
        public string MetadataName => KnownAttributes.Namespace + "." + AttributeName + "Attribute";

        /// <summary>The spec record's fully qualified name, e.g. <c>global::XformerDsl.Specs.FullAttentionSpec</c>.</summary>
        public string SpecTypeName { get; }

        /// <summary>Reads the attribute; null when an argument is missing or broken (already reported, or the compiler's).</summary>
        public Func<AttributeArguments, AttentionSpec?> Parse { get; }

        /// <summary>The spec's arguments as C# literals, in declaration order; names match both the attribute and the record.</summary>
        public Func<AttentionSpec, ImmutableArray<(string Name, string Literal)>> Arguments { get; }

        /// <summary>What the family writes into its attention class: parameters, the attend step, its kernel.</summary>
        public AttentionEmitter Emitter { get; }
    }

    /// <summary>The closed list of attention families the generator knows.</summary>
    internal static class AttentionFamilies
    {
        public static ImmutableArray<AttentionFamily> All { get; } = ImmutableArray.Create(
            new AttentionFamily(
                "FullAttention",
                "global::XformerDsl.Specs.FullAttentionSpec",
                arguments => arguments.RequiredInt("Heads", SpecLimits.Heads) is int heads ? new FullAttentionSpec(heads) : null,
                spec => ImmutableArray.Create(("Heads", SpecFormat.Int(spec.Heads))),
                new FullAttentionEmitter()),
            new AttentionFamily(
                "LocalAttention",
                "global::XformerDsl.Specs.LocalAttentionSpec",
                arguments => (arguments.RequiredInt("Heads", SpecLimits.Heads), arguments.RequiredInt("Block", PatternLimits.Block)) is (int heads, int block)
                    ? new LocalAttentionSpec(heads, block, arguments.OptionalInt("Before") ?? 0, arguments.OptionalInt("After") ?? 0)
                    : null,
                spec => spec is LocalAttentionSpec local
                    ? ImmutableArray.Create(("Heads", SpecFormat.Int(local.Heads)), ("Block", SpecFormat.Int(local.Block)),
                        ("Before", SpecFormat.Int(local.Before)), ("After", SpecFormat.Int(local.After)))
                    : ImmutableArray<(string, string)>.Empty,
                new LocalAttentionEmitter()),
            new AttentionFamily(
                "SlidingWindowAttention",
                "global::XformerDsl.Specs.SlidingWindowAttentionSpec",
                arguments => (arguments.RequiredInt("Heads", SpecLimits.Heads), arguments.RequiredInt("Window", PatternLimits.Window)) is (int heads, int window)
                    ? new SlidingWindowAttentionSpec(heads, window, arguments.OptionalInt("Dilation") ?? 1, arguments.OptionalInt("GlobalTokens") ?? 0,
                        arguments.IntArray("Dilations"))
                    : null,
                spec => spec is SlidingWindowAttentionSpec sliding
                    ? sliding.Dilations is { } perHead
                        // Dilations in place of Dilation when declared, so declarations without it read as before.
                        ? ImmutableArray.Create(("Heads", SpecFormat.Int(sliding.Heads)), ("Window", SpecFormat.Int(sliding.Window)),
                            ("GlobalTokens", SpecFormat.Int(sliding.GlobalTokens)),
                            ("Dilations", "new[] { " + string.Join(", ", perHead.Select(d => SpecFormat.Int(d))) + " }"))
                        : ImmutableArray.Create(("Heads", SpecFormat.Int(sliding.Heads)), ("Window", SpecFormat.Int(sliding.Window)),
                            ("Dilation", SpecFormat.Int(sliding.Dilation)), ("GlobalTokens", SpecFormat.Int(sliding.GlobalTokens)))
                    : ImmutableArray<(string, string)>.Empty,
                new SlidingWindowAttentionEmitter()),
            new AttentionFamily(
                "SparseAttention",
                "global::XformerDsl.Specs.SparseAttentionSpec",
                arguments => (arguments.RequiredInt("Heads", SpecLimits.Heads), arguments.RequiredInt("Stride", PatternLimits.Stride)) is (int heads, int stride)
                    ? new SparseAttentionSpec(heads, stride, arguments.Enum("Mode", SparsePattern.Strided), arguments.OptionalInt("Summary") ?? 1)
                    : null,
                spec => spec is SparseAttentionSpec sparse
                    ? ImmutableArray.Create(("Heads", SpecFormat.Int(sparse.Heads)), ("Stride", SpecFormat.Int(sparse.Stride)),
                        ("Mode", EnumLiteral(sparse.Mode)), ("Summary", SpecFormat.Int(sparse.Summary)))
                    : ImmutableArray<(string, string)>.Empty,
                new SparseAttentionEmitter()),
            new AttentionFamily(
                "BigBirdAttention",
                "global::XformerDsl.Specs.BigBirdAttentionSpec",
                arguments => (arguments.RequiredInt("Heads", SpecLimits.Heads), arguments.RequiredInt("Block", PatternLimits.Block)) is (int heads, int block)
                    ? new BigBirdAttentionSpec(heads, block, arguments.OptionalInt("WindowBlocks") ?? 3, arguments.OptionalInt("GlobalBlocks") ?? 2,
                        arguments.OptionalInt("RandomBlocks") ?? 3, arguments.OptionalInt("Seed") ?? 0)
                    : null,
                spec => spec is BigBirdAttentionSpec bigBird
                    ? ImmutableArray.Create(("Heads", SpecFormat.Int(bigBird.Heads)), ("Block", SpecFormat.Int(bigBird.Block)),
                        ("WindowBlocks", SpecFormat.Int(bigBird.WindowBlocks)), ("GlobalBlocks", SpecFormat.Int(bigBird.GlobalBlocks)),
                        ("RandomBlocks", SpecFormat.Int(bigBird.RandomBlocks)), ("Seed", SpecFormat.Int(bigBird.Seed)))
                    : ImmutableArray<(string, string)>.Empty,
                new BigBirdAttentionEmitter()),
            new AttentionFamily(
                "AxialAttention",
                "global::XformerDsl.Specs.AxialAttentionSpec",
                arguments => (arguments.RequiredInt("Heads", SpecLimits.Heads), arguments.RequiredInt("Rows", PatternLimits.Rows), arguments.RequiredInt("Columns", PatternLimits.Columns)) is (int heads, int rows, int columns)
                    ? new AxialAttentionSpec(heads, rows, columns)
                    : null,
                spec => spec is AxialAttentionSpec axial
                    ? ImmutableArray.Create(("Heads", SpecFormat.Int(axial.Heads)), ("Rows", SpecFormat.Int(axial.Rows)), ("Columns", SpecFormat.Int(axial.Columns)))
                    : ImmutableArray<(string, string)>.Empty,
                new AxialAttentionEmitter()),
            new AttentionFamily(
                "LinearAttention",
                "global::XformerDsl.Specs.LinearAttentionSpec",
                arguments => arguments.RequiredInt("Heads", SpecLimits.Heads) is int heads
                    ? new LinearAttentionSpec(heads,
                        arguments.Enum("Kernel", LinearAttentionSpec.DefaultKernel),
                        arguments.OptionalInt("Features"),
                        arguments.OptionalInt("RedrawEvery") ?? 0,
                        arguments.OptionalInt("Seed") ?? 0)
                    : null,
                spec => LinearAttentionEmitter.Arguments((LinearAttentionSpec)spec),
                new LinearAttentionEmitter()),
            new AttentionFamily(
                "LshAttention",
                "global::XformerDsl.Specs.LshAttentionSpec",
                arguments => arguments.RequiredInt("Heads", SpecLimits.Heads) is int heads
                    ? new LshAttentionSpec(heads,
                        arguments.OptionalInt("BucketSize") ?? SpecDefaults.LshBucketSize,
                        arguments.OptionalInt("Rounds") ?? SpecDefaults.LshRounds,
                        arguments.OptionalInt("Seed") ?? 0)
                    : null,
                spec => spec is LshAttentionSpec lsh
                    ? ImmutableArray.Create(("Heads", SpecFormat.Int(lsh.Heads)), ("BucketSize", SpecFormat.Int(lsh.BucketSize)),
                        ("Rounds", SpecFormat.Int(lsh.Rounds)), ("Seed", SpecFormat.Int(lsh.Seed)))
                    : ImmutableArray<(string, string)>.Empty,
                new LshAttentionEmitter()));

        // global::XformerDsl.SparsePattern.Fixed, or a cast for a value that names no member.
        private static string EnumLiteral<TEnum>(TEnum value) where TEnum : struct, IConvertible
        {
            var name = SpecFormat.Enum(value);
            var type = "global::" + KnownAttributes.Namespace + "." + typeof(TEnum).Name;
            return char.IsDigit(name[0]) || name[0] == '-' ? $"({type})({name})" : type + "." + name;
        }

        /// <summary>The family whose attribute has this metadata name, or null.</summary>
        public static AttentionFamily? ByMetadataName(string metadataName) =>
            All.FirstOrDefault(family => family.MetadataName == metadataName);

        /// <summary>The family of a spec (every spec record belongs to exactly one entry).</summary>
        public static AttentionFamily Of(AttentionSpec spec) =>
            All.First(family => family.AttributeName == spec.AttributeName);
    }

    /// <summary>Names of the XformerDsl attributes the generator reads.</summary>
    internal static class KnownAttributes
    {
        public const string Namespace = "XformerDsl";
        public const string Transformer = "XformerDsl.TransformerAttribute";
        public const string FeedForward = "XformerDsl.FeedForwardAttribute";
        public const string Positions = "XformerDsl.PositionsAttribute";
        public const string Normalization = "XformerDsl.NormalizationAttribute";
        public const string Reversible = "XformerDsl.ReversibleAttribute";
        public const string ConvertsFrom = "XformerDsl.ConvertsFromAttribute";

        /// <summary>Attributes that shape a model but mean nothing without <c>[Transformer]</c>: frames and every attention family.</summary>
        public static ImmutableArray<string> Companions { get; } =
            ImmutableArray.Create(FeedForward, Positions, Normalization, Reversible, ConvertsFrom).AddRange(AttentionFamilies.All.Select(family => family.MetadataName));

        /// <summary><c>XformerDsl.FeedForwardAttribute</c> → <c>FeedForward</c>.</summary>
        public static string ShortName(string metadataName)
        {
            var name = metadataName.Substring(metadataName.LastIndexOf('.') + 1);
            return name.EndsWith("Attribute", StringComparison.Ordinal) ? name.Substring(0, name.Length - "Attribute".Length) : name;
        }
    }
}
