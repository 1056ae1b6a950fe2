using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>The diagnostics of <c>[LinearAttention]</c> at the offending argument, and declarations of it that yield none.</summary>
public class LinearAttentionDiagnosticTests
{
    private const string Usings = DiagnosticCases.Usings;
    private const string Transformer = DiagnosticCases.Transformer;
    private const string U = DiagnosticCases.Usings;
    private const string T = DiagnosticCases.Transformer;
    private const string A = DiagnosticCases.Attention;

    public static TheoryData<string, string, string> Cases() => new()
    {
        { "XF0019", Usings + Transformer + "[LinearAttention(Heads = 4, [|Kernel = (FeatureMap)9|])]\npublic partial class TinyGpt;",
            "Kernel = 9 is not a defined FeatureMap; use one of FeatureMap.Elu, FeatureMap.Relu, FeatureMap.Favor, FeatureMap.LearnedRelu" },
        { "XF0050", Usings + Transformer + "[LinearAttention(Heads = 4, Kernel = FeatureMap.Favor, [|Features = 0|])]\npublic partial class TinyGpt;",
            "Features = 0 is outside the supported range 1 to 4096 features per head; use a value in that range, for example Features = 64 (the head size), or leave Features out" },
        { "XF0050", Usings + Transformer + "[LinearAttention(Heads = 4, Kernel = FeatureMap.LearnedRelu, [|Features = 100000|])]\npublic partial class TinyGpt;",
            "Features = 100000 is outside the supported range 1 to 4096 features per head; use a value in that range, for example Features = 64 (the head size), or leave Features out" },
        { "XF0051", Usings + Transformer + "[LinearAttention(Heads = 4, [|Features = 32|])]\npublic partial class TinyGpt;",
            "Features = 32 has no meaning for Kernel = FeatureMap.Elu, whose features are the head's 64 dimensions; remove Features, or use Kernel = FeatureMap.Favor or FeatureMap.LearnedRelu to choose a feature count" },
        { "XF0052", Usings + Transformer + "[LinearAttention(Heads = 4, Kernel = FeatureMap.LearnedRelu, [|RedrawEvery = 100|])]\npublic partial class TinyGpt;",
            "RedrawEvery = 100 applies to random features, but Kernel = FeatureMap.LearnedRelu draws none; remove RedrawEvery, or use Kernel = FeatureMap.Favor" },
        { "XF0052", Usings + Transformer + "[LinearAttention(Heads = 4, Kernel = FeatureMap.Relu, [|Seed = 3|])]\npublic partial class TinyGpt;",
            "Seed = 3 applies to random features, but Kernel = FeatureMap.Relu draws none; remove Seed, or use Kernel = FeatureMap.Favor" },
        { "XF0053", Usings + Transformer + "[LinearAttention(Heads = 4, Kernel = FeatureMap.Favor, [|RedrawEvery = -5|])]\npublic partial class TinyGpt;",
            "RedrawEvery = -5 must not be negative; use a number of training steps such as RedrawEvery = 1000, or 0 to keep one draw" },
        { "XF0014", Usings + Transformer + "[LinearAttention([|Heads = 3|], Kernel = FeatureMap.Favor)]\npublic partial class TinyGpt;",
            "Heads = 3 does not divide Dim = 256; use a divisor of 256 such as 4 or 8" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Diagnostic_points_at_the_offending_syntax_with_a_message_naming_value_and_fix(string id, string markedSource, string message) =>
        DiagnosticCases.AssertReportedAtMarkedSyntax(id, markedSource, message);

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_declaration_with_an_error_generates_no_source(string id, string markedSource, string message) =>
        DiagnosticCases.AssertNoSourceOnError(id, markedSource, message);

    /// <summary>Broken declarations of the family: the generator never throws and reports only XF diagnostics.</summary>
    public static TheoryData<string, string> Malformed() => new()
    {
        { "linear: no arguments", U + T + "[LinearAttention] public partial class M;" },
        { "linear: int for kernel", U + T + "[LinearAttention(Heads = 4, Kernel = 2)] public partial class M;" },
        { "linear: enum of the wrong type", U + T + "[LinearAttention(Heads = 4, Kernel = Activation.Relu)] public partial class M;" },
        { "linear: unknown kernel", U + T + "[LinearAttention(Heads = 4, Kernel = (FeatureMap)(-1), Features = -3, RedrawEvery = int.MinValue, Seed = int.MaxValue)] public partial class M;" },
        { "linear: string for features", U + T + "[LinearAttention(Heads = 4, Kernel = FeatureMap.Favor, Features = \"64\")] public partial class M;" },
        { "linear: extreme values", U + T + "[LinearAttention(Heads = int.MaxValue, Kernel = FeatureMap.LearnedRelu, Features = int.MaxValue, RedrawEvery = int.MaxValue)] public partial class M;" },
        { "linear: every problem at once", U + T + "[LinearAttention(Heads = 0, Kernel = FeatureMap.Elu, Features = 0, RedrawEvery = -1, Seed = 5)] public partial class M;" },
        { "linear beside full attention", U + T + A + "[LinearAttention(Heads = 4, Kernel = FeatureMap.Favor, Every = 2)] public partial class M;" },
        { "linear: misspelled kernel argument", U + T + "[LinearAttention(Heads = 4, FeatureMap = FeatureMap.Favor)] public partial class M;" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Generator_never_throws_and_reports_only_its_own_diagnostics(string name, string source) =>
        DiagnosticCases.AssertGeneratorIsTotal(name, source);
}
