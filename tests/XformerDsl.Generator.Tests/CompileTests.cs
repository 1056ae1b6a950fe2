using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;

namespace XformerDsl.Generator.Tests;

/// <summary>
/// Each declaration plus its generated code compiles with no error and no warning (nullable on, XML docs checked)
/// against the real Dsl, Runtime and TorchSharp assemblies, as it would in a user's project.
/// </summary>
public class CompileTests
{
    public static TheoryData<string> Declarations() => new(GeneratorHarness.DeclarationNames());

    [Theory]
    [MemberData(nameof(Declarations))]
    public void Declaration_and_generated_module_compile_cleanly(string declaration)
    {
        var text = GeneratorHarness.Declaration(declaration);
        var run = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ($"/src/{declaration}.cs", text) }));

        Assert.Empty(run.DriverDiagnostics);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(ModelCount(text), run.Sources.Count);
        Assert.Empty(run.CompilationProblems.Select(d => d.ToString()));
    }

    /// <summary>One generated file per model: most declaration files hold one, a conversion's also holds its source.</summary>
    private static int ModelCount(string declaration) =>
        System.Text.RegularExpressions.Regex.Matches(declaration, @"^\s*\[Transformer\b", System.Text.RegularExpressions.RegexOptions.Multiline).Count;

    [Fact]
    public void All_declarations_compile_together_in_one_project()
    {
        var files = GeneratorHarness.DeclarationNames().Select(name => ($"/src/{name}.cs", GeneratorHarness.Declaration(name))).ToList();
        var run = GeneratorHarness.Run(GeneratorHarness.Compilation(files));

        Assert.Equal(files.Sum(file => ModelCount(file.Item2)), run.Sources.Count);
        Assert.Empty(run.CompilationProblems.Select(d => d.ToString()));
    }

    [Fact]
    public void Model_class_and_every_generated_public_member_are_documented()
    {
        // Documentation mode is Diagnose: an undocumented public member anywhere would raise CS1591.
        var run = GeneratorHarness.Run("""
            using XformerDsl;
            [Transformer(Vocab = 32, Dim = 16, Depth = 1, MaxLength = 8, TiedEmbeddings = true)]
            [FullAttention(Heads = 2)]
            [FeedForward(Activation = Activation.SwiGlu)]
            [Positions(Kind = PositionEncoding.Rotary)]
            [Normalization(Kind = NormKind.RmsNorm)]
            public partial class Documented;
            """);

        Assert.Single(run.Sources);
        Assert.DoesNotContain(run.OutputCompilation.GetDiagnostics(), d => d.Id == "CS1591" || d.Id.StartsWith("CS15", StringComparison.Ordinal));
    }

    [Fact]
    public void Generated_model_is_usable_from_user_code()
    {
        const string source = """
            using XformerDsl;
            using TorchSharp;

            namespace App;

            [Transformer(Vocab = 32, Dim = 16, Depth = 1, MaxLength = 8)]
            [FullAttention(Heads = 2)]
            public partial class Small;

            public static class Use
            {
                public static long Run()
                {
                    using var model = new Small();
                    torch.nn.Module<torch.Tensor, torch.Tensor> module = model;
                    using var logits = module.call(torch.zeros(1, 8, torch.int64));
                    XformerDsl.Specs.ModelSpec spec = Small.Spec;
                    ModelCard card = Small.Card;
                    return card.ParameterCount + spec.Dim + logits.shape[2];
                }
            }
            """;
        var run = GeneratorHarness.Run(source);

        Assert.Empty(run.CompilationProblems.Select(d => d.ToString()));
    }
}
