using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// Valid <c>[SynthesizerAttention]</c> declarations, causal and bidirectional, every mode, pure and mixed: no
/// diagnostic, one generated file, and it compiles without warnings; the random mode's parameter cost is a warning, not
/// an error, and the model is still generated.
/// </summary>
public class SynthesizerAttentionDeclarationTests
{
    public static TheoryData<string, string> ValidDeclarations() => new()
    {
        { DiagnosticCases.Transformer, "[SynthesizerAttention(Heads = 4, Mode = SynthesizerMode.FactorizedRandom, Factor = 16)]" },
        { DiagnosticCases.Transformer, "[SynthesizerAttention(Heads = 4, Mode = SynthesizerMode.Dense)] [Positions(Kind = PositionEncoding.Rotary)]" },
        { DiagnosticCases.Encoder, "[SynthesizerAttention(Heads = 8, Mode = SynthesizerMode.FactorizedDense, Factor = 32, DotProduct = true, LearnedMixture = true)] [ClassificationHead(Classes = 3)]" },
        { DiagnosticCases.Encoder, "[SynthesizerAttention(Heads = 4, Mode = SynthesizerMode.Dense, DotProduct = true)] [Positions(Kind = PositionEncoding.Rotary)]" },
        { "[Transformer(Vocab = 256, Dim = 256, Depth = 2, MaxLength = 128)]\n", "[SynthesizerAttention(Heads = 4, DotProduct = true)] [FullAttention(Heads = 4, Every = 2)]" },
    };

    [Theory]
    [MemberData(nameof(ValidDeclarations))]
    public void Declaration_generates_and_compiles(string transformer, string attributes)
    {
        var run = GeneratorHarness.Run(DiagnosticCases.Usings + transformer + attributes + "\npublic partial class TinySynthesizer;");

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Single(run.Sources);
        Assert.Empty(run.CompilationProblems);
    }

    [Fact]
    public void Random_logits_that_dominate_the_parameters_warn_and_still_generate()
    {
        var run = GeneratorHarness.Run(DiagnosticCases.Usings + DiagnosticCases.Transformer + "[SynthesizerAttention(Heads = 4)]\npublic partial class TinySynthesizer;");

        Assert.Equal("XF0114", Assert.Single(run.GeneratorDiagnostics).Id);
        Assert.Single(run.Sources);
        Assert.Empty(run.CompilationProblems);
    }
}
