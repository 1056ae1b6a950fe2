using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// Valid <c>[InducedAttention]</c> declarations (bidirectional, as the family requires) and attention pooling: no
/// diagnostic, one generated file, and it compiles without warnings.
/// </summary>
public class InducedAttentionDeclarationTests
{
    public static TheoryData<string> ValidDeclarations() => new()
    {
        "[InducedAttention(Heads = 4)]",
        "[InducedAttention(Heads = 8, Points = 1024)] [Positions(Kind = PositionEncoding.None)] [ClassificationHead(Classes = 3, Pooling = Pooling.Attention)]",
        "[InducedAttention(Heads = 4, Points = 16)] [FullAttention(Heads = 8, Every = 2)] [Normalization(Kind = NormKind.RmsNorm)]",
        "[InducedAttention(Heads = 2, Points = 1)] [Positions(Kind = PositionEncoding.Sinusoidal)] [MaskedLanguageModelHead(MaskToken = 3)]",
        "[FullAttention(Heads = 4)] [ClassificationHead(Classes = 2, Pooling = Pooling.Attention)]",
    };

    [Theory]
    [MemberData(nameof(ValidDeclarations))]
    public void Bidirectional_declaration_generates_and_compiles(string attributes)
    {
        var run = GeneratorHarness.Run(DiagnosticCases.Usings + DiagnosticCases.Encoder + attributes + "\npublic partial class TinyEncoder;");

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Single(run.Sources);
        Assert.Empty(run.CompilationProblems);
    }

    [Fact]
    public void Encoder_stack_of_an_encoder_decoder_takes_it()
    {
        // The decoder is causal, the encoder bidirectional: the rules see each stack as a model of its own.
        var run = GeneratorHarness.Run(DiagnosticCases.Usings + DiagnosticCases.Transformer
            + "[Encoder(Depth = 2, MaxLength = 512)]\n[InducedAttention(Heads = 4, Points = 16, Stack = ModelStack.Encoder)]\n"
            + "[FullAttention(Heads = 4, Stack = ModelStack.Decoder)]\npublic partial class TinyTranslator;");

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationProblems);
        Assert.Contains("private const int Points = 16;", Assert.Single(run.Sources).Value, StringComparison.Ordinal);
    }
}
