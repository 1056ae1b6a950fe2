using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>The diagnostics of <c>[AxialAttention]</c> at the offending argument, and declarations of it that yield none.</summary>
public class AxialAttentionDiagnosticTests
{
    private const string Usings = DiagnosticCases.Usings;
    private const string Transformer = DiagnosticCases.Transformer;

    public static TheoryData<string, string, string> Cases() => new()
    {
        { "XF0035", Usings + Transformer + "[AxialAttention(Heads = 4, [|Rows = 30|], Columns = 32)]\npublic partial class TinyGpt;",
            "Rows = 30 × Columns = 32 = 960 cells, but the grid must hold the MaxLength = 1024 positions; use Rows = 32, so that Rows · Columns = MaxLength" },
        { "XF0036", Usings + Transformer + "[AxialAttention([|Heads = 1|], Rows = 32, Columns = 32)]\npublic partial class TinyGpt;",
            "Heads = 1 cannot be split evenly between rows and columns (half the heads attend along each axis); use an even number of heads that divides Dim, such as Heads = 2" },
        { "XF0010", Usings + Transformer + "[[|AxialAttention(Heads = 4, Rows = 32)|]]\npublic partial class TinyGpt;",
            "[AxialAttention] needs Columns; add an argument such as 'Columns = 64'" },
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
    [InlineData("[AxialAttention(Heads = 4, Rows = 32, Columns = 32)]")]
    public void Valid_declaration_yields_no_diagnostic(string attributes) => DiagnosticCases.AssertValid(attributes);
}
