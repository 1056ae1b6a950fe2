extern alias generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;
using TrackingNames = generator::XformerDsl.Generator.TrackingNames;

namespace XformerDsl.Generator.Tests;

/// <summary>
/// The pipeline caches: an edit that does not touch a declaration leaves the parsed models and the outputs Cached or
/// Unchanged, so typing elsewhere in a project never re-emits a model. An edit to a declaration does re-emit it.
/// </summary>
public class IncrementalTests
{
    private const string Model = """
        using XformerDsl;
        namespace App;
        [Transformer(Vocab = 64, Dim = 32, Depth = 2, MaxLength = 16)]
        [FullAttention(Heads = 4)]
        public partial class Small;
        """;

    private const string Other = """
        namespace App;
        public static class Helpers
        {
            public static int Twice(int x) => x * 2;
        }
        """;

    private static readonly IncrementalStepRunReason[] s_reused = { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged };

    [Fact]
    public void Adding_an_unrelated_file_leaves_every_output_cached()
    {
        var compilation = GeneratorHarness.Compilation(new[] { ("/src/Model.cs", Model), ("/src/Other.cs", Other) });
        var first = GeneratorHarness.Run(compilation);

        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace App; public class Added { }", GeneratorHarness.ParseOptions, "/src/Added.cs"));
        var second = GeneratorHarness.Run(edited, first.Driver);

        AssertReused(second.Result);
        Assert.Equal(first.Sources, second.Sources);
    }

    [Fact]
    public void Editing_a_method_body_in_another_file_leaves_every_output_cached()
    {
        var compilation = GeneratorHarness.Compilation(new[] { ("/src/Model.cs", Model), ("/src/Other.cs", Other) });
        var first = GeneratorHarness.Run(compilation);

        var oldTree = compilation.SyntaxTrees.Single(t => t.FilePath == "/src/Other.cs");
        var newTree = oldTree.WithChangedText(oldTree.GetText().Replace(Other.IndexOf("x * 2", StringComparison.Ordinal), 5, "x + x"));
        var second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(oldTree, newTree), first.Driver);

        AssertReused(second.Result);
        Assert.Equal(first.Sources, second.Sources);
    }

    [Fact]
    public void Reformatting_outside_the_attributes_reuses_the_parsed_model()
    {
        var compilation = GeneratorHarness.Compilation(new[] { ("/src/Model.cs", Model) });
        var first = GeneratorHarness.Run(compilation);

        var oldTree = compilation.SyntaxTrees.Single();
        var newTree = oldTree.WithChangedText(oldTree.GetText().WithChanges(new Microsoft.CodeAnalysis.Text.TextChange(new(0, 0), "// a comment\n")));
        var second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(oldTree, newTree), first.Driver);

        // The declaration's tree changed, so it is parsed again, but the model it yields is equal: emission is skipped.
        var models = second.Result.Results.Single().TrackedSteps[TrackingNames.Models];
        Assert.All(models.SelectMany(step => step.Outputs), output => Assert.Contains(output.Reason, s_reused));
        Assert.All(second.Result.Results.Single().TrackedOutputSteps.SelectMany(step => step.Value).SelectMany(step => step.Outputs),
            output => Assert.Contains(output.Reason, s_reused));
    }

    [Fact]
    public void Changing_the_declaration_regenerates_the_model()
    {
        var compilation = GeneratorHarness.Compilation(new[] { ("/src/Model.cs", Model) });
        var first = GeneratorHarness.Run(compilation);

        var oldTree = compilation.SyntaxTrees.Single();
        var newTree = oldTree.WithChangedText(oldTree.GetText().Replace(Model.IndexOf("Depth = 2", StringComparison.Ordinal), 9, "Depth = 3"));
        var second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(oldTree, newTree), first.Driver);

        var models = second.Result.Results.Single().TrackedSteps[TrackingNames.Models];
        Assert.Contains(models.SelectMany(step => step.Outputs), output => output.Reason == IncrementalStepRunReason.Modified);
        Assert.NotEqual(first.Sources.Single().Value, second.Sources.Single().Value);
        Assert.Contains("Depth: 3,", second.Sources.Single().Value);
    }

    [Fact]
    public void Editing_an_attribute_in_another_part_of_the_class_regenerates_the_model()
    {
        const string part = "using XformerDsl;\nnamespace App;\n[FullAttention(Heads = 4)]\npublic partial class Small;\n";
        var compilation = GeneratorHarness.Compilation(new[]
        {
            ("/src/Model.cs", "using XformerDsl;\nnamespace App;\n[Transformer(Vocab = 64, Dim = 32, Depth = 2, MaxLength = 16)]\npublic partial class Small;\n"),
            ("/src/Attention.cs", part),
        });
        var first = GeneratorHarness.Run(compilation);

        var oldTree = compilation.SyntaxTrees.Single(t => t.FilePath == "/src/Attention.cs");
        var newTree = oldTree.WithChangedText(oldTree.GetText().Replace(part.IndexOf("Heads = 4", StringComparison.Ordinal), 9, "Heads = 8"));
        var second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(oldTree, newTree), first.Driver);

        Assert.Contains("FullAttentionSpec(Heads: 4)", first.Sources.Single().Value);
        Assert.Contains("FullAttentionSpec(Heads: 8)", second.Sources.Single().Value);
    }

    private static void AssertReused(GeneratorDriverRunResult result)
    {
        var run = result.Results.Single();
        foreach (var name in new[] { TrackingNames.Parsed, TrackingNames.Models, TrackingNames.Diagnostics })
        {
            Assert.True(run.TrackedSteps.ContainsKey(name), $"step {name} was not tracked");
            Assert.All(run.TrackedSteps[name].SelectMany(step => step.Outputs), output => Assert.Contains(output.Reason, s_reused));
        }
        var outputs = run.TrackedOutputSteps.SelectMany(step => step.Value).SelectMany(step => step.Outputs).ToList();
        Assert.NotEmpty(outputs);
        Assert.All(outputs, output => Assert.Contains(output.Reason, s_reused));
    }
}
