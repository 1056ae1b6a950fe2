using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// <c>[InducedAttention]</c> in the encoder of an encoder–decoder. Its valid encoders, attention pooling among them, are
/// <see cref="InducedAttentionDiagnosticCases.ValidEncoders"/>.
/// </summary>
public class InducedAttentionDeclarationTests
{
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
