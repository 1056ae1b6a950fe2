using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>The diagnostics of <c>[LocalAttention]</c> at the offending argument, and declarations of it that yield none.</summary>
public class LocalAttentionDiagnosticTests
{
    private const string Usings = DiagnosticCases.Usings;
    private const string Transformer = DiagnosticCases.Transformer;

    public static TheoryData<string, string, string> Cases() => new()
    {
        { "XF0013", Usings + Transformer + "[LocalAttention(Heads = 4, Block = 64, [|Before = -1|])]\npublic partial class TinyGpt;",
            "Before = -1 is outside the supported range 0 to 1048576; use a value in that range, for example Before = 1" },
        { "XF0030", Usings + Transformer + "[LocalAttention(Heads = 4, [|Block = 100|], Before = 1)]\npublic partial class TinyGpt;",
            "Block = 100 does not divide MaxLength = 1024, so the last block would be cut short; use a Block that divides 1024, such as 64, or make MaxLength a multiple of 100, such as 1100" },
        { "XF0031", Usings + Transformer + "[LocalAttention(Heads = 4, Block = 256, [|Before = 4|])]\npublic partial class TinyGpt;",
            "Before = 4 makes each query's pattern span (Before + 1)·Block = 1280 positions, more than MaxLength = 1024; use Before = 3 or less, or [FullAttention] if every query should see the whole sequence" },
        { "XF0032", Usings + Transformer + "[LocalAttention(Heads = 4, Block = 64, [|After = 1|])]\npublic partial class TinyGpt;",
            "After = 1 names a block after the query's own, which a causal model hides (they are its future); remove After, or set Causal = false on [Transformer]" },
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
    [InlineData("[LocalAttention(Heads = 4, Block = 128, Before = 7)]")]
    public void Valid_declaration_yields_no_diagnostic(string attributes) => DiagnosticCases.AssertValid(attributes);
}
