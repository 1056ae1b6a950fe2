extern alias generator;
using Microsoft.CodeAnalysis;
using Xunit;
using DiagnosticDescriptors = generator::XformerDsl.Generator.Diagnostics.DiagnosticDescriptors;

namespace XformerDsl.Generator.Tests.Infrastructure;

/// <summary>
/// The checks every diagnostic case goes through, shared by the frame's <c>DiagnosticTests</c> and each family's
/// <c>…DiagnosticTests</c>: a case is an ID, a declaration with the offending syntax marked <c>[|…|]</c>, and the message.
/// </summary>
public static class DiagnosticCases
{
    public const string Usings = "using XformerDsl;\n";
    public const string Transformer = "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1024)]\n";
    public const string Attention = "[FullAttention(Heads = 4)]\n";
    /// <summary>The standard <c>[Transformer]</c> made a bidirectional encoder, as the head attributes need.</summary>
    public const string Encoder = "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1024, Causal = false)]\n";

    /// <summary>Exactly one diagnostic, with this ID and message, at the marked span, with its help page.</summary>
    public static void AssertReportedAtMarkedSyntax(string id, string markedSource, string message)
    {
        var markup = Markup.Parse(markedSource);

        var run = GeneratorHarness.Run(markup.Source);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(message, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("/src/Model.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(markup.Text, markup.Source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        Assert.Equal(markup.Span, diagnostic.Location.SourceSpan);
        Assert.Equal($"{(generator::XformerDsl.Generator.Diagnostics.DescriptorFactory.HelpLinkBase)}{id}.md", diagnostic.Descriptor.HelpLinkUri);
    }

    /// <summary>An error leaves the model ungenerated; a warning does not.</summary>
    public static void AssertNoSourceOnError(string id, string markedSource, string message)
    {
        _ = message;
        var run = GeneratorHarness.Run(Markup.Parse(markedSource).Source);

        if (DiagnosticDescriptors.ById(id).DefaultSeverity == DiagnosticSeverity.Error)
            Assert.Empty(run.Sources);
        else
            Assert.Single(run.Sources);
    }

    /// <summary>The attributes, under the standard <c>[Transformer]</c> or <paramref name="frame"/>, give a model that compiles and no diagnostic.</summary>
    public static void AssertValid(string attributes, string frame = Transformer)
    {
        var run = GeneratorHarness.Run(Usings + frame + attributes + "\npublic partial class TinyGpt;");

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Single(run.Sources);
        Assert.Empty(run.CompilationProblems);
    }

    /// <summary>
    /// The generator is total on <paramref name="source"/>: no exception (CS8785, AD0001), only XF diagnostics, and no
    /// compile error inside generated code.
    /// </summary>
    public static void AssertGeneratorIsTotal(string name, string source)
    {
        _ = name;
        var run = GeneratorHarness.Run(source);

        Assert.All(run.Result.Results, result => Assert.Null(result.Exception));
        Assert.DoesNotContain(run.DriverDiagnostics, d => d.Id is "CS8785" or "AD0001");
        Assert.All(run.GeneratorDiagnostics, d => Assert.StartsWith("XF", d.Id));
        // Generated code never adds compile errors of its own: any error in the output is in the user's file.
        Assert.All(run.OutputCompilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error),
            d => Assert.True(d.Location.SourceTree?.FilePath == "/src/Model.cs", $"error in generated code: {d}"));
    }
}
