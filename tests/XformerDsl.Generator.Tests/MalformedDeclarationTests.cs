using Microsoft.CodeAnalysis;
using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;

namespace XformerDsl.Generator.Tests;

/// <summary>
/// The generator is total: for declarations that are broken in every way we could think of, it never throws
/// (no CS8785 "generator failed", no AD0001), reports only XF diagnostics, and generates source only for a valid
/// declaration. Where the compiler already reports the error (wrong types, syntax), the generator stays quiet. Each
/// attention family has its own malformed declarations beside its diagnostic cases, in <c>Families/&lt;Family&gt;/</c>.
/// </summary>
public class MalformedDeclarationTests
{
    private const string U = DiagnosticCases.Usings;
    private const string T = DiagnosticCases.Transformer;
    private const string A = DiagnosticCases.Attention;

    public static TheoryData<string, string> Inputs() => new()
    {
        { "no arguments", U + "[Transformer] [FullAttention] public partial class M;" },
        { "empty argument lists", U + "[Transformer()] [FullAttention()] public partial class M;" },
        { "positional argument", U + "[Transformer(256)] " + A + "public partial class M;" },
        { "string for int", U + T + "[FullAttention(Heads = \"4\")] public partial class M;" },
        { "double for int", U + T + "[FullAttention(Heads = 4.5)] public partial class M;" },
        { "long for int", U + "[Transformer(Vocab = 256L, Dim = 256, Depth = 4, MaxLength = 1024)] " + A + "public partial class M;" },
        { "string for double", U + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1024, Dropout = \"0.1\")] " + A + "public partial class M;" },
        { "int for bool", U + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1024, Causal = 1)] " + A + "public partial class M;" },
        { "null for int", U + T + "[FullAttention(Heads = null)] public partial class M;" },
        { "non-constant value", U + T + "[FullAttention(Heads = System.Environment.ProcessorCount)] public partial class M;" },
        { "int.MaxValue everywhere", U + "[Transformer(Vocab = int.MaxValue, Dim = int.MaxValue, Depth = int.MaxValue, MaxLength = int.MaxValue)] [FullAttention(Heads = int.MaxValue)] [FeedForward(Hidden = int.MaxValue)] public partial class M;" },
        { "int.MinValue everywhere", U + "[Transformer(Vocab = int.MinValue, Dim = int.MinValue, Depth = int.MinValue, MaxLength = int.MinValue)] [FullAttention(Heads = int.MinValue)] [FeedForward(Hidden = int.MinValue)] public partial class M;" },
        { "negative sizes", U + "[Transformer(Vocab = -1, Dim = -256, Depth = -4, MaxLength = -1024)] [FullAttention(Heads = -4)] public partial class M;" },
        { "overflowing constant", U + "[Transformer(Vocab = int.MaxValue + 1, Dim = 256, Depth = 4, MaxLength = 1024)] " + A + "public partial class M;" },
        { "infinite and NaN doubles", U + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1024, Dropout = double.PositiveInfinity)] " + A + "[Positions(Kind = PositionEncoding.Rotary, RotaryBase = double.NaN)] [Normalization(Epsilon = double.NegativeInfinity)] public partial class M;" },
        { "unknown enum values", U + T + A + "[FeedForward(Activation = (Activation)42)] [Positions(Kind = (PositionEncoding)7)] [Normalization(Kind = (NormKind)9, Placement = (NormPlacement)(-3))] public partial class M;" },
        { "enum of the wrong type", U + T + A + "[FeedForward(Activation = NormKind.RmsNorm)] public partial class M;" },
        { "unknown argument name", U + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1024, Width = 3)] " + A + "public partial class M;" },
        { "misspelled required argument", U + T + "[FullAttention(Head = 4)] public partial class M;" },
        { "unterminated attribute", U + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1024\n" + A + "public partial class M;" },
        { "missing value", U + "[Transformer(Vocab = 256, Dim = , Depth = 4, MaxLength = 1024)] " + A + "public partial class M;" },
        { "missing class body", U + T + A + "public partial class M" },
        { "missing class name", U + T + A + "public partial class { }" },
        { "garbage after class", U + T + A + "public partial class M { int } }}}" },
        { "attribute on struct", U + T + A + "public partial struct M;" },
        { "attribute on record struct", U + T + A + "public partial record struct M;" },
        { "attribute on interface", U + T + A + "public partial interface M;" },
        { "attribute on enum", U + T + A + "public enum M { X }" },
        { "attribute on method", U + "public partial class C { " + T + A + "public void M() { } }" },
        { "attribute on record", U + T + A + "public partial record M;" },
        { "attribute on abstract class", U + T + A + "public abstract partial class M;" },
        { "duplicate Transformer", U + T + T + A + "public partial class M;" },
        { "duplicate frame attributes", U + T + A + "[FeedForward(Hidden = 64)] [FeedForward(Hidden = 128)] public partial class M;" },
        { "unknown attribute", U + T + A + "[NoSuchAttribute] public partial class M;" },
        { "Reversible with arguments", U + T + A + "[Reversible(3)] public partial class M;" },
        { "Reversible with a named argument", U + T + A + "[Reversible(Depth = 2)] public partial class M;" },
        { "duplicate Reversible", U + T + A + "[Reversible] [Reversible] public partial class M;" },
        { "Chunks of the wrong type", U + T + A + "[FeedForward(Chunks = \"8\")] public partial class M;" },
        { "Chunks not constant", U + T + A + "[FeedForward(Chunks = System.Environment.ProcessorCount)] public partial class M;" },
        { "Chunks negative and huge", U + T + A + "[FeedForward(Chunks = int.MinValue)] [Reversible] public partial class M;" },
        { "unknown base type", U + T + A + "public partial class M : NoSuchBase;" },
        { "interface in base list", U + T + A + "public partial class M : System.IDisposable { public void Dispose() { } }" },
        { "base class in another part", U + T + A + "public partial class M; public partial class M : System.EventArgs;" },
        { "partial and non-partial parts", U + T + A + "public partial class M; public class M;" },
        { "generic static non-partial", U + T + A + "public static class M<T>;" },
        { "nested in generic type", U + "public partial class Outer<T> { " + T + A + "public partial class M; }" },
        { "nested in struct", U + "public partial struct Outer { " + T + A + "public partial class M; }" },
        { "nested in non-partial and partial", U + "public class A { public partial class B { " + T + A + "public partial class M; } }" },
        { "error type in attribute argument", U + "[Transformer(Vocab = NoSuch.Value, Dim = 256, Depth = 4, MaxLength = 1024)] " + A + "public partial class M;" },
        { "typeof argument", U + "[Transformer(Vocab = typeof(int), Dim = 256, Depth = 4, MaxLength = 1024)] " + A + "public partial class M;" },
        { "class named like a generated member", U + T + A + "public partial class Block;" },
        { "two models with one name in two namespaces", U + "namespace N1 { " + T + A + "public partial class M; } namespace N2 { " + T + A + "public partial class M; }" },
        { "pattern families without arguments", U + T + "[LocalAttention] [SlidingWindowAttention(Every = 2)] public partial class M;" },
        { "pattern sizes at int extremes", U + T + "[LocalAttention(Heads = 4, Block = int.MaxValue, Before = int.MaxValue, After = int.MinValue)] [SlidingWindowAttention(Heads = 4, Window = int.MaxValue, Dilation = int.MaxValue, GlobalTokens = int.MaxValue, Every = 2)] public partial class M;" },
        { "pattern sizes zero and negative", U + T + "[LocalAttention(Heads = 4, Block = 0, Before = -1)] [SlidingWindowAttention(Heads = 4, Window = -5, Dilation = 0, GlobalTokens = -1, Every = 2)] public partial class M;" },
        { "pattern with MaxLength 1", U + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1, Causal = false)] [SlidingWindowAttention(Heads = 4, Window = 1, GlobalTokens = 1)] [LocalAttention(Heads = 4, Block = 1, After = 1, Every = 2)] public partial class M;" },
        { "sparse, BigBird and axial without arguments", U + T + "[SparseAttention] [BigBirdAttention(Every = 2)] [AxialAttention(Layers = new[] { 1 })] public partial class M;" },
        { "sparse, BigBird and axial at int extremes", U + T + "[SparseAttention(Heads = 4, Stride = int.MaxValue, Summary = int.MinValue, Mode = (SparsePattern)(-1))] [BigBirdAttention(Heads = 4, Block = int.MaxValue, WindowBlocks = int.MaxValue, GlobalBlocks = int.MaxValue, RandomBlocks = int.MaxValue, Seed = int.MinValue, Every = 2)] [AxialAttention(Heads = 4, Rows = int.MaxValue, Columns = int.MaxValue, Layers = new[] { 1 })] public partial class M;" },
        { "sparse, BigBird and axial zero and negative", U + T + "[SparseAttention(Heads = 4, Stride = 0, Mode = SparsePattern.Fixed, Summary = 0)] [BigBirdAttention(Heads = 4, Block = -64, WindowBlocks = 0, GlobalBlocks = -1, RandomBlocks = -3, Every = 2)] [AxialAttention(Heads = 3, Rows = 0, Columns = -1, Layers = new[] { 1 })] public partial class M;" },
        { "BigBird and sparse with MaxLength 1", U + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1, Causal = false)] [BigBirdAttention(Heads = 4, Block = 1, GlobalBlocks = 0, WindowBlocks = 1, RandomBlocks = 0)] [SparseAttention(Heads = 4, Stride = 1, Mode = SparsePattern.Fixed, Every = 2)] [AxialAttention(Heads = 2, Rows = 1, Columns = 1, Layers = new[] { 1 })] public partial class M;" },
        { "ConvertsFrom a missing type", U + T + A + "[ConvertsFrom(typeof(NoSuchModel))] public partial class M;" },
        { "ConvertsFrom an open generic", U + T + A + "[ConvertsFrom(typeof(System.Collections.Generic.Dictionary<,>))] public partial class M;" },
        { "ConvertsFrom null", U + T + A + "[ConvertsFrom(null)] public partial class M;" },
        { "ConvertsFrom without arguments", U + T + A + "[ConvertsFrom] public partial class M;" },
        { "ConvertsFrom a string", U + T + A + "[ConvertsFrom(\"TinyGpt\")] public partial class M;" },
        { "ConvertsFrom itself", U + T + A + "[ConvertsFrom(typeof(M))] public partial class M;" },
        { "ConvertsFrom a generic model", U + T + A + "public partial class G<X>; " + T + A + "[ConvertsFrom(typeof(G<int>))] public partial class M;" },
        { "ConvertsFrom a broken model", U + "[Transformer(Vocab = 256)] [FullAttention(Heads = 4.5)] public partial class S; " + T + A + "[ConvertsFrom(typeof(S))] public partial class M;" },
        { "ConvertsFrom without Transformer", U + "[ConvertsFrom(typeof(int))] public class M { }" },
        { "empty file", "" },
        { "only attributes", U + T + A },
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Generator_never_throws_and_reports_only_its_own_diagnostics(string name, string source) =>
        DiagnosticCases.AssertGeneratorIsTotal(name, source);

    [Fact]
    public void Partial_class_split_across_two_files_is_generated_once()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.Compilation(new[]
        {
            ("/src/A.cs", U + T + "public partial class M;"),
            ("/src/B.cs", U + A + "[FeedForward(Hidden = 64)] public partial class M { public int Extra => 1; }"),
        }));

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Single(run.Sources);
        Assert.Empty(run.CompilationProblems.Select(d => d.ToString()));
    }

    [Fact]
    public void Transformer_on_two_parts_generates_once_and_leaves_the_error_to_the_compiler()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.Compilation(new[]
        {
            ("/src/A.cs", U + T + A + "public partial class M;"),
            ("/src/B.cs", U + T + "public partial class M;"),
        }));

        Assert.All(run.Result.Results, result => Assert.Null(result.Exception));
        Assert.True(run.Sources.Count <= 1);
        Assert.Contains(run.OutputCompilation.GetDiagnostics(), d => d.Id == "CS0579");
    }
}
