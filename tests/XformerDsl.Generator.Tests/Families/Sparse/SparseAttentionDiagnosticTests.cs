using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>The diagnostics of <c>[SparseAttention]</c> at the offending argument, and declarations of it that yield none.</summary>
public class SparseAttentionDiagnosticTests
{
    private const string Usings = DiagnosticCases.Usings;
    private const string Transformer = DiagnosticCases.Transformer;

    public static TheoryData<string, string, string> Cases() => new()
    {
        { "XF0030", Usings + Transformer + "[SparseAttention(Heads = 4, [|Stride = 100|], Mode = SparsePattern.Fixed)]\npublic partial class TinyGpt;",
            "Stride = 100 does not divide MaxLength = 1024, so the last block would be cut short; use a Stride that divides 1024, such as 64, or make MaxLength a multiple of 100, such as 1100" },
        { "XF0031", Usings + Transformer + "[SparseAttention(Heads = 4, [|Stride = 2000|])]\npublic partial class TinyGpt;",
            "Stride = 2000 makes each query's pattern span a period of 2000 positions, more than MaxLength = 1024; use Stride = 1024 or less, or [FullAttention] if every query should see the whole sequence" },
        { "XF0019", Usings + Transformer + "[SparseAttention(Heads = 4, Stride = 32, [|Mode = (SparsePattern)7|])]\npublic partial class TinyGpt;",
            "Mode = 7 is not a defined SparsePattern; use one of SparsePattern.Strided, SparsePattern.Fixed" },
        { "XF0013", Usings + Transformer + "[SparseAttention(Heads = 4, Stride = 32, Mode = SparsePattern.Fixed, [|Summary = 40|])]\npublic partial class TinyGpt;",
            "Summary = 40 is outside the supported range 1 to 32; use a value in that range, for example Summary = 2" },
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
    [InlineData("[SparseAttention(Heads = 4, Stride = 32, Mode = SparsePattern.Fixed, Summary = 4)]")]
    public void Valid_declaration_yields_no_diagnostic(string attributes) => DiagnosticCases.AssertValid(attributes);
}
