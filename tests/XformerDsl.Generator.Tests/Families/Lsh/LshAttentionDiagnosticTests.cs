using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>The diagnostics of <c>[LshAttention]</c> at the offending argument, and declarations of it that yield none.</summary>
public class LshAttentionDiagnosticTests
{
    private const string Usings = DiagnosticCases.Usings;
    private const string Transformer = DiagnosticCases.Transformer;
    private const string U = DiagnosticCases.Usings;
    private const string T = DiagnosticCases.Transformer;
    private const string A = DiagnosticCases.Attention;

    public static TheoryData<string, string, string> Cases() => new()
    {
        { "XF0013", Usings + Transformer + "[LshAttention(Heads = 4, [|BucketSize = 0|])]\npublic partial class TinyGpt;",
            "BucketSize = 0 is outside the supported range 1 to 65536; use a value in that range, for example BucketSize = 64" },
        { "XF0013", Usings + Transformer + "[LshAttention(Heads = 4, [|Rounds = -1|])]\npublic partial class TinyGpt;",
            "Rounds = -1 is outside the supported range 1 to 64; use a value in that range, for example Rounds = 2" },
        { "XF0072", Usings + Transformer + "[LshAttention(Heads = 4, [|BucketSize = 48|])]\npublic partial class TinyGpt;",
            "BucketSize = 48 does not divide MaxLength = 1024, so a full-length sequence cannot be cut into buckets of 48 positions; use BucketSize = 32 or 64, or MaxLength = 1056" },
        { "XF0073", Usings + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 192)]\n[LshAttention(Heads = 4, [|BucketSize = 64|])]\npublic partial class TinyGpt;",
            "MaxLength / BucketSize = 192 / 64 = 3 buckets, but hashing to argmax over [x·R; −x·R] makes an even number; use BucketSize = 48 or 96, or MaxLength = 256" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Diagnostic_points_at_the_offending_syntax_with_a_message_naming_value_and_fix(string id, string markedSource, string message) =>
        DiagnosticCases.AssertReportedAtMarkedSyntax(id, markedSource, message);

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_declaration_with_an_error_generates_no_source(string id, string markedSource, string message) =>
        DiagnosticCases.AssertNoSourceOnError(id, markedSource, message);

    [Theory]
    [InlineData("[LshAttention(Heads = 4)] [FeedForward(Chunks = 8)] [Reversible]")]
    [InlineData("[LshAttention(Heads = 4, BucketSize = 32, Rounds = 8, Seed = 7)] [FullAttention(Heads = 4, Every = 2)] [Positions(Kind = PositionEncoding.Rotary)]")]
    public void Valid_declaration_yields_no_diagnostic(string attributes) => DiagnosticCases.AssertValid(attributes);

    /// <summary>Broken declarations of the family: the generator never throws and reports only XF diagnostics.</summary>
    public static TheoryData<string, string> Malformed() => new()
    {
        { "LshAttention without Heads", U + T + "[LshAttention(BucketSize = 64)] public partial class M;" },
        { "LshAttention with wrong types", U + T + "[LshAttention(Heads = 4, BucketSize = 6.5, Rounds = true)] public partial class M;" },
        { "LshAttention with all sizes broken", U + T + "[LshAttention(Heads = 0, BucketSize = int.MinValue, Rounds = int.MaxValue)] public partial class M;" },
        { "LshAttention positional argument", U + T + "[LshAttention(4)] public partial class M;" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Generator_never_throws_and_reports_only_its_own_diagnostics(string name, string source) =>
        DiagnosticCases.AssertGeneratorIsTotal(name, source);
}
