using Microsoft.CodeAnalysis;
using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;

namespace XformerDsl.Generator.Tests.Fuzz;

/// <summary>
/// The class shapes issue 14's fuzz run found breaking the generator or its output: each either generates code that
/// compiles without warnings, or gets a diagnostic of its own instead of an exception or a compile error in
/// generated code.
/// </summary>
public class FuzzFindingsTests
{
    private const string U = DiagnosticCases.Usings;
    private const string T = DiagnosticCases.Transformer;
    private const string A = DiagnosticCases.Attention;

    public static TheoryData<string, string> CompilingShapes() => new()
    {
        { "names differing only in case", U + "namespace Fuzz { " + T + A + "public partial class Model; " + T + A + "public partial class model; }" },
        { "generic outer beside its mangled name", U + "namespace Fuzz { public partial class Outer<T> { " + T + A + "public partial class M; } public partial class Outer_T_ { " + T + A + "public partial class M; } }" },
        { "keyword model name", U + "namespace Fuzz { " + T + A + "public partial class @class; }" },
        { "keyword model and containing type names", U + "namespace @event { public partial class @event { " + T + A + "public partial class @class; } }" },
        { "keyword names with a pattern family", U + "public partial class @struct { " + T + "[SlidingWindowAttention(Heads = 4, Window = 64)] public partial class @event; }" },
        { "line comment in an attribute argument list", U + "[Transformer(Vocab = 256, // the vocabulary\n Dim = 256, Depth = 4, MaxLength = 1024)]\n" + A + "public partial class M;" },
        { "block comment ending a line in an attribute", U + "[Transformer(Vocab = 256, /* vocab\n*/ Dim = 256, Depth = 4, MaxLength = 1024)]\n" + A + "public partial class M;" },
        { "#if inside an attribute argument list", U + "[Transformer(Vocab = 256,\n#if DEBUG\n Dim = 128,\n#else\n Dim = 256,\n#endif\n Depth = 4, MaxLength = 1024)]\n" + A + "public partial class M;" },
        { "model in a ref partial struct", U + "public ref partial struct Outer { " + T + A + "public partial class M; }" },
        { "contextual keyword names", U + "namespace Fuzz { public partial class @dynamic { " + T + A + "public partial class @nameof; " + T + A + "public partial class @await; " + T + A + "public partial class async; } }" },
        { "model in a static partial class", U + "public static partial class Outer { " + T + A + "public partial class M; }" },
        { "model in a partial interface", U + "public partial interface IOuter { " + T + A + "public partial class M; }" },
        { "model in a record struct", U + "public partial record struct Outer(int X) { " + T + A + "public partial class M; }" },
        { "model in a readonly partial struct", U + "public readonly partial struct Outer { " + T + A + "public partial class M; }" },
        { "model nested in generic type with T", U + "public partial class Outer<T> { " + T + A + "public partial class M; }" },
        { "pattern model nested in generic types with kernel names", U + "public partial class Outer<T, TVec> { public partial class Inner<TOps> { " + T + "[BigBirdAttention(Heads = 4, Block = 64, WindowBlocks = 3, GlobalBlocks = 1, RandomBlocks = 1)] public partial class M; } }" },
        { "linear and LSH models nested in a generic type", U + "public partial class Outer<T, TVec, TOps> { " + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1024, Causal = true)] [LinearAttention(Heads = 4)] public partial class L; " + T + "[LshAttention(Heads = 4)] public partial class H; }" },
    };

    [Theory]
    [MemberData(nameof(CompilingShapes))]
    public void Shape_generates_code_that_compiles_without_warnings(string name, string source)
    {
        var run = GeneratorHarness.Run(source);

        Assert.All(run.Result.Results, result => Assert.Null(result.Exception));
        Assert.Empty(run.DriverDiagnostics.Select(d => d.ToString()));
        Assert.Empty(run.GeneratorDiagnostics.Select(d => d.ToString()));
        Assert.NotEmpty(run.Sources);
        Assert.True(run.CompilationProblems.IsEmpty, name + ":\n" + string.Join("\n", run.CompilationProblems));
    }

    [Fact]
    public void Ordinary_hint_names_stay_as_they_were()
    {
        var run = GeneratorHarness.Run(U + "namespace Demo { public partial class Outer { " + T + A + "public partial class TinyGpt; } }");

        Assert.Equal("Demo.Outer.TinyGpt.g.cs", Assert.Single(run.Sources).Key);
    }

    [Fact]
    public void Header_restates_attributes_without_user_comments_or_directives()
    {
        var run = GeneratorHarness.Run(U + "[Transformer(Vocab = 256, // the vocabulary\n#if DEBUG\n Dim = 128,\n#else\n Dim = 256,\n#endif\n Depth = 4, MaxLength = 1024)]\n" + A + "public partial class M;");

        var source = Assert.Single(run.Sources).Value;
        var header = source[..source.IndexOf("#nullable", StringComparison.Ordinal)];
        Assert.DoesNotContain("#if", header);
        Assert.DoesNotContain("the vocabulary", header);
        Assert.All(header.Split('\n').Where(line => line.Length > 0), line => Assert.StartsWith("//", line));
    }

    public static TheoryData<string, string> ReportedShapes() => new()
    {
        { "XF0020", U + T + A + "public partial class M { public int Spec() => 0; }" },
        { "XF0020", U + T + A + "public partial class M { public string Card() => \"\"; }" },
        { "XF0020", U + T + A + "public partial class M { public void Block() { } }" },
        { "XF0020", U + T + A + "public partial class M { private void layers() { } }" },
        { "XF0020", U + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1024, Causal = true)] [LinearAttention(Heads = 4)] public partial class M { public object CreateState(long batch) => batch; }" },
        { "XF0020", U + "namespace Fuzz { " + T + A + "public partial class @var; }" },
        { "XF0020", U + "namespace Fuzz { public class @var { } " + T + A + "public partial class M; }" },
        { "XF0020", U + T + A + "public partial class M { private sealed class @var { } }" },
        { "XF0029", U + T + A + "public partial class TinyGpt(string name) { public string Name => name; }" },
        { "XF0028", U + T + "[FullAttention(Heads = 4)] [FullAttention(Heads = 8, Every = 1)] public partial class M;" },
        { "XF0027", U + T + "[FullAttention(Heads = 4, Layers = new[] { 0, 0 })] [FullAttention(Heads = 8)] public partial class M;" },
    };

    [Theory]
    [MemberData(nameof(ReportedShapes))]
    public void Shape_is_reported_instead_of_breaking_generated_code(string id, string source)
    {
        var run = GeneratorHarness.Run(source);

        Assert.All(run.Result.Results, result => Assert.Null(result.Exception));
        Assert.Contains(run.GeneratorDiagnostics, d => d.Id == id);
        Assert.Empty(run.Sources);
    }
}
