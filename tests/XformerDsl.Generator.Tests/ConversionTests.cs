using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;

namespace XformerDsl.Generator.Tests;

/// <summary>
/// <c>[ConvertsFrom(typeof(Source))]</c>: the generator reads the source model's own attributes, reports an incompatible
/// pair at the <c>typeof</c> argument naming the part and the fix, and emits <c>ConvertFrom</c> for a compatible one.
/// </summary>
public class ConversionTests
{
    private const string Usings = "using XformerDsl;\n";
    private const string Source = "[Transformer(Vocab = 256, Dim = 128, Depth = 4, MaxLength = 256)]\n[FullAttention(Heads = 4)]\npublic partial class TinyGpt;\n";
    private const string T2R = "[LinearAttention(Heads = 4, Kernel = FeatureMap.LearnedRelu, Features = 32)]\n";
    private const string Frame = "[Transformer(Vocab = 256, Dim = 128, Depth = 4, MaxLength = 256)]\n";
    private const string Converts = "[ConvertsFrom([|typeof(TinyGpt)|])]\npublic partial class TinyT2R;";
    private const string TranslatorSource = "[Transformer(Vocab = 256, Dim = 128, Depth = 4, MaxLength = 256)]\n[Encoder(Depth = 2)]\n[FullAttention(Heads = 4)]\npublic partial class TinyGpt;\n";
    private const string DecoderT2R = "[LinearAttention(Heads = 4, Kernel = FeatureMap.LearnedRelu, Features = 32, Stack = ModelStack.Decoder)]\n";
    private const string Fix = ", so that every weight the two models share has the same shape and meaning";

    public static TheoryData<string, string, string> Cases() => new()
    {
        { "XF0055", Usings + Source + "[Transformer(Vocab = 512, Dim = 128, Depth = 4, MaxLength = 256)]\n" + T2R + Converts,
            "TinyT2R has Vocab = 512 but TinyGpt has Vocab = 256; declare TinyT2R with Vocab = 256" + Fix },
        { "XF0055", Usings + Source + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 256)]\n" + T2R + Converts,
            "TinyT2R has Dim = 256 but TinyGpt has Dim = 128; declare TinyT2R with Dim = 128" + Fix },
        { "XF0055", Usings + Source + "[Transformer(Vocab = 256, Dim = 128, Depth = 6, MaxLength = 256)]\n" + T2R + Converts,
            "TinyT2R has Depth = 6 but TinyGpt has Depth = 4; declare TinyT2R with Depth = 4" + Fix },
        { "XF0055", Usings + Source + "[Transformer(Vocab = 256, Dim = 128, Depth = 4, MaxLength = 512)]\n" + T2R + Converts,
            "TinyT2R has MaxLength = 512 but TinyGpt has MaxLength = 256; declare TinyT2R with MaxLength = 256" + Fix },
        { "XF0055", Usings + Source + "[Transformer(Vocab = 256, Dim = 128, Depth = 4, MaxLength = 256, Bias = false)]\n" + T2R + Converts,
            "TinyT2R has Bias = false but TinyGpt has Bias = true; declare TinyT2R with Bias = true" + Fix },
        { "XF0055", Usings + Source + "[Transformer(Vocab = 256, Dim = 128, Depth = 4, MaxLength = 256, TiedEmbeddings = true)]\n" + T2R + Converts,
            "TinyT2R has TiedEmbeddings = true but TinyGpt has TiedEmbeddings = false; declare TinyT2R with TiedEmbeddings = false" + Fix },
        { "XF0055", Usings + Source + "[Transformer(Vocab = 256, Dim = 128, Depth = 4, MaxLength = 256, Causal = false)]\n" + T2R + Converts,
            "TinyT2R has Causal = false but TinyGpt has Causal = true; declare TinyT2R with Causal = true" + Fix },
        { "XF0055", Usings + Source + Frame + T2R + "[Positions(Kind = PositionEncoding.Rotary)]\n" + Converts,
            "TinyT2R has [Positions(Kind = PositionEncoding.Rotary)] but TinyGpt has [Positions(Kind = PositionEncoding.Learned)]; declare TinyT2R with [Positions(Kind = PositionEncoding.Learned)]" + Fix },
        { "XF0055", Usings + Source + Frame + T2R + "[Normalization(Kind = NormKind.RmsNorm)]\n" + Converts,
            "TinyT2R has [Normalization(Kind = NormKind.RmsNorm)] but TinyGpt has [Normalization(Kind = NormKind.LayerNorm)]; declare TinyT2R with [Normalization(Kind = NormKind.LayerNorm)]" + Fix },
        { "XF0055", Usings + Source + Frame + T2R + "[Normalization(Placement = NormPlacement.Post)]\n" + Converts,
            "TinyT2R has [Normalization(Placement = NormPlacement.Post)] but TinyGpt has [Normalization(Placement = NormPlacement.Pre)]; declare TinyT2R with [Normalization(Placement = NormPlacement.Pre)]" + Fix },
        { "XF0055", Usings + Source + Frame + T2R + "[FeedForward(Hidden = 256)]\n" + Converts,
            "TinyT2R has [FeedForward(Hidden = 256)] but TinyGpt has [FeedForward(Hidden = 512)]; declare TinyT2R with [FeedForward(Hidden = 512)]" + Fix },
        { "XF0055", Usings + Source + Frame + T2R + "[FeedForward(Activation = Activation.SwiGlu)]\n" + Converts,
            "TinyT2R has [FeedForward(Activation = Activation.SwiGlu)] but TinyGpt has [FeedForward(Activation = Activation.Gelu)]; declare TinyT2R with [FeedForward(Activation = Activation.Gelu)]" + Fix },
        { "XF0055", Usings + Source + Frame + T2R + "[Reversible]\n" + Converts,
            "TinyT2R has [Reversible] but TinyGpt has no [Reversible]; declare TinyT2R with no [Reversible]" + Fix },
        { "XF0055", Usings + Source + Frame + "[LinearAttention(Heads = 8, Kernel = FeatureMap.LearnedRelu, Features = 32)]\n" + Converts,
            "TinyT2R has Heads = 8 in layer 0 but TinyGpt has Heads = 4 in layer 0; declare TinyT2R with Heads = 4 in layer 0" + Fix },
        // Encoder-decoders: the encoder's frame and each stack's heads must agree too.
        { "XF0055", Usings + Source + Frame + "[Encoder(Depth = 2)]\n" + T2R + Converts,
            "TinyT2R has [Encoder] but TinyGpt has no [Encoder]; declare TinyT2R with no [Encoder]" + Fix },
        { "XF0055", Usings + TranslatorSource + Frame + "[Encoder(Depth = 3)]\n[FullAttention(Heads = 4, Stack = ModelStack.Encoder)]\n" + DecoderT2R + Converts,
            "TinyT2R has [Encoder(Depth = 3)] but TinyGpt has [Encoder(Depth = 2)]; declare TinyT2R with [Encoder(Depth = 2)]" + Fix },
        { "XF0055", Usings + TranslatorSource + Frame + "[Encoder(Depth = 2)]\n[FullAttention(Heads = 8, Stack = ModelStack.Encoder)]\n" + DecoderT2R + Converts,
            "TinyT2R has Heads = 8 in encoder layer 0 but TinyGpt has Heads = 4 in encoder layer 0; declare TinyT2R with Heads = 4 in encoder layer 0" + Fix },
        { "XF0055", Usings + TranslatorSource + Frame + "[Encoder(Depth = 2)]\n[LongShortRangeAttention(Heads = 4, Stack = ModelStack.Encoder)]\n" + DecoderT2R + Converts,
            "TinyT2R has attention on 64 channels in encoder layer 0 but TinyGpt has attention on 128 channels in encoder layer 0; declare TinyT2R with attention on 128 channels in encoder layer 0" + Fix },
        { "XF0054", Usings + "public class NotAModel { }\n" + Frame + T2R + "[ConvertsFrom([|typeof(NotAModel)|])]\npublic partial class TinyT2R;",
            "[ConvertsFrom] on 'TinyT2R' names 'NotAModel', which has no [Transformer]; name a [Transformer] class with the same frame, such as typeof(TinyGpt), or remove [ConvertsFrom]" },
        { "XF0054", Usings + Frame + T2R + "[ConvertsFrom([|typeof(System.Collections.Generic.List<>)|])]\npublic partial class TinyT2R;",
            "[ConvertsFrom] on 'TinyT2R' names 'System.Collections.Generic.List<>', which has no [Transformer]; name a [Transformer] class with the same frame, such as typeof(TinyGpt), or remove [ConvertsFrom]" },
        { "XF0054", Usings + Frame + T2R + "[ConvertsFrom([|null|])]\npublic partial class TinyT2R;",
            "[ConvertsFrom] on 'TinyT2R' names null, which has no [Transformer]; name a [Transformer] class with the same frame, such as typeof(TinyGpt), or remove [ConvertsFrom]" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void An_incompatible_pair_is_reported_at_the_typeof_argument_and_the_target_is_not_generated(string id, string markedSource, string message)
    {
        var markup = Markup.Parse(markedSource);

        var run = GeneratorHarness.Run(markup.Source);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(message, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(markup.Span, diagnostic.Location.SourceSpan);
        Assert.DoesNotContain(run.Sources.Keys, hint => hint.Contains("TinyT2R"));
    }

    [Fact]
    public void A_compatible_pair_gets_ConvertFrom_and_compiles()
    {
        var run = GeneratorHarness.Run(Usings + Source + Frame + T2R + "[ConvertsFrom(typeof(TinyGpt))]\npublic partial class TinyT2R;");

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Contains("public static TinyT2R ConvertFrom(global::TinyGpt source, out global::System.Collections.Generic.IReadOnlyList<string> newParameters)",
            run.Sources["TinyT2R.g.cs"]);
        Assert.DoesNotContain("ConvertFrom", run.Sources["TinyGpt.g.cs"]);
    }

    [Fact]
    public void Attention_family_and_MaxLength_with_rotary_positions_may_differ()
    {
        const string rotary = "[Positions(Kind = PositionEncoding.Rotary)]\n";
        var run = GeneratorHarness.Run(Usings
            + "[Transformer(Vocab = 256, Dim = 128, Depth = 4, MaxLength = 256)]\n[FullAttention(Heads = 4)]\n" + rotary + "public partial class TinyGpt;\n"
            + "[Transformer(Vocab = 256, Dim = 128, Depth = 4, MaxLength = 4096)]\n" + T2R + rotary + "[ConvertsFrom(typeof(TinyGpt))]\npublic partial class TinyT2R;");

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Contains("ConvertFrom(", run.Sources["TinyT2R.g.cs"]);
    }

    [Fact]
    public void A_source_with_its_own_errors_is_reported_only_on_its_own_declaration()
    {
        var run = GeneratorHarness.Run(Usings
            + "[Transformer(Vocab = 256, Dim = 128, Depth = 4, MaxLength = 256)]\n[FullAttention(Heads = 3)]\npublic partial class TinyGpt;\n"
            + Frame + T2R + "[ConvertsFrom(typeof(TinyGpt))]\npublic partial class TinyT2R;");

        Assert.Equal("XF0014", Assert.Single(run.GeneratorDiagnostics).Id);
    }
}
