using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// Valid <c>[CompressedAttention]</c> declarations beyond the causal ones of <see cref="CompressedAttentionDiagnosticCases"/>:
/// bidirectional encoders and the encoder of an encoder–decoder generate one file that compiles without warnings; a
/// causal model with a compressed layer gets no stepping API.
/// </summary>
public class CompressedAttentionDeclarationTests
{
    public static TheoryData<string> BidirectionalDeclarations() => new()
    {
        "[CompressedAttention(Heads = 4)]",
        "[CompressedAttention(Heads = 4, Ratio = 8, Compression = MemoryCompression.MeanPool)] [ClassificationHead(Classes = 3)]",
        "[LocalAttention(Heads = 4, Block = 64, Before = 1, After = 1)] [CompressedAttention(Heads = 8, Ratio = 5, Every = 2)]",
    };

    [Theory]
    [MemberData(nameof(BidirectionalDeclarations))]
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
        var run = GeneratorHarness.Run(DiagnosticCases.Usings + DiagnosticCases.Transformer
            + "[Encoder(Depth = 2, MaxLength = 512)]\n[CompressedAttention(Heads = 4, Ratio = 4, Stack = ModelStack.Encoder)]\n"
            + "[CompressedAttention(Heads = 4, Ratio = 2, Stack = ModelStack.Decoder)]\npublic partial class TinyTranslator;");

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationProblems);
    }

    [Fact]
    public void A_causal_model_with_a_compressed_layer_cannot_step()
    {
        var run = GeneratorHarness.Run(DiagnosticCases.Usings + DiagnosticCases.Transformer
            + "[FullAttention(Heads = 4)]\n[CompressedAttention(Heads = 4, Every = 2)]\npublic partial class TinyGpt;");

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationProblems);
        Assert.DoesNotContain("CreateState", Assert.Single(run.Sources).Value, StringComparison.Ordinal);
    }
}
