using XformerDsl.Benchmarks;
using Xunit;

namespace XformerDsl.Generator.Tests;

/// <summary>
/// The benchmark program's command line, which other tools and the README rely on: <c>--help</c> lists every suite and
/// every attention family the program can measure, and a wrong name is answered with the names it knows. The usage text
/// is built from the registries, so these catch a family or suite that the help text or the errors leave out.
/// </summary>
public class BenchmarkUsageTests
{
    [Fact]
    public void Usage_lists_every_registered_family_on_its_own_line()
    {
        var lines = CommandLine.Usage.Split('\n');
        Assert.NotEmpty(AttentionSuite.Families);
        foreach (var family in AttentionSuite.Families)
            Assert.Contains(lines, line => line.TrimStart().StartsWith(family.Name + " ", StringComparison.Ordinal));
    }

    [Fact]
    public void Usage_lists_every_suite()
    {
        var lines = CommandLine.Usage.Split('\n');
        foreach (var suite in BenchmarkSuite.All)
            Assert.Contains(lines, line => line.TrimStart().StartsWith(suite.Name + " ", StringComparison.Ordinal));
    }

    [Fact]
    public void Family_names_are_distinct()
    {
        var names = AttentionSuite.Families.Select(f => f.Name).ToList();
        Assert.Equal(names.Distinct().Count(), names.Count);
    }

    [Fact]
    public void Help_arguments_print_usage_without_running_a_suite()
    {
        foreach (var help in new[] { "help", "--help", "-h" })
            Assert.Equal((null, null, null), CommandLine.Parse([help]));
        Assert.Equal((null, null, null), CommandLine.Parse([]));
    }

    [Fact]
    public void An_unknown_family_is_answered_with_every_family()
    {
        var (suite, options, error) = CommandLine.Parse(["attention", "--family", "no-such-family"]);
        Assert.Equal("attention", suite);
        Assert.Null(error);
        var thrown = Assert.Throws<ArgumentException>(() => AttentionSuite.Implementations(options!));
        Assert.Contains("no-such-family", thrown.Message);
        foreach (var family in AttentionSuite.Families)
            Assert.Contains(family.Name, thrown.Message);
    }

    [Fact]
    public void An_unknown_option_or_value_is_an_error_naming_it()
    {
        Assert.Equal("Unknown option '--no-such-option'.", CommandLine.Parse(["attention", "--no-such-option", "1"]).Error);
        Assert.Equal("--seq x: not a valid value.", CommandLine.Parse(["attention", "--seq", "x"]).Error);
    }

    [Fact]
    public void Every_option_in_the_usage_is_accepted_by_the_parser()
    {
        // Each "--name <value>" the usage documents parses (with a value of its shape), so the help never offers an
        // option the program refuses.
        var options = CommandLine.Usage.Split('\n')
            .Select(line => line.TrimStart())
            .Where(line => line.StartsWith("--", StringComparison.Ordinal) && line.Contains(" <", StringComparison.Ordinal))
            .Select(line => (Name: line[..line.IndexOf(' ')], Value: line[(line.IndexOf('<') + 1)..line.IndexOf('>')]))
            .ToList();
        Assert.Contains(options, o => o.Name == "--family");
        foreach (var (name, value) in options)
        {
            string sample = value switch
            {
                "bool" => "false",
                "x" => "1.5",
                "n" or "n,n,..." => "64",
                _ => "full",
            };
            Assert.Null(CommandLine.Parse(["attention", name, sample]).Error);
        }
    }
}
