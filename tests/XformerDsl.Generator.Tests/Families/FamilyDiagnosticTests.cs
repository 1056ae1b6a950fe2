extern alias generator;
using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;
using AttentionFamilies = generator::XformerDsl.Generator.Families.AttentionFamilies;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// Runs every family's <see cref="FamilyDiagnosticCases"/> through the checks the frame's cases get: each diagnostic at
/// the offending syntax with its message, no source on an error, valid declarations quiet, broken ones survived.
/// </summary>
public class FamilyDiagnosticTests
{
    public static TheoryData<string, string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (var family in FamilyDiagnosticCases.All)
            foreach (var row in family.Cases)
                data.Add(family.Family, (string)row[0], (string)row[1], (string)row[2]);
        return data;
    }

    public static TheoryData<string, bool, string> Valid()
    {
        var data = new TheoryData<string, bool, string>();
        foreach (var family in FamilyDiagnosticCases.All)
        {
            foreach (var attributes in family.Valid)
                data.Add(family.Family, true, attributes);
            foreach (var attributes in family.ValidEncoders)
                data.Add(family.Family, false, attributes);
        }
        return data;
    }

    public static TheoryData<string, string, string> Malformed()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var family in FamilyDiagnosticCases.All)
            foreach (var row in family.Malformed)
                data.Add(family.Family, (string)row[0], (string)row[1]);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Diagnostic_points_at_the_offending_syntax_with_a_message_naming_value_and_fix(string family, string id, string markedSource, string message)
    {
        _ = family;
        DiagnosticCases.AssertReportedAtMarkedSyntax(id, markedSource, message);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_declaration_with_an_error_generates_no_source(string family, string id, string markedSource, string message)
    {
        _ = family;
        DiagnosticCases.AssertNoSourceOnError(id, markedSource, message);
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public void Valid_declaration_yields_no_diagnostic_and_compiles(string family, bool causal, string attributes)
    {
        _ = family;
        DiagnosticCases.AssertValid(attributes, causal ? DiagnosticCases.Transformer : DiagnosticCases.Encoder);
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Generator_never_throws_and_reports_only_its_own_diagnostics(string family, string name, string source)
    {
        _ = family;
        DiagnosticCases.AssertGeneratorIsTotal(name, source);
    }

    [Fact]
    public void Every_family_with_rules_of_its_own_has_cases_and_every_cases_class_names_a_family()
    {
        var families = AttentionFamilies.All.Select(f => f.AttributeName).ToHashSet();
        var withCases = FamilyDiagnosticCases.All.Select(c => c.Family).ToHashSet();
        Assert.Subset(families, withCases);
        Assert.Subset(withCases, AttentionFamilies.All.Where(f => f.Rules is not null).Select(f => f.AttributeName).ToHashSet());
        // Each family's cases report at least one ID from its own rules' block, or the shared checks on its arguments.
        Assert.All(FamilyDiagnosticCases.All, cases => Assert.NotEmpty(cases.Cases));
    }
}
