using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// <c>[CompressedAttention]</c> in both stacks of an encoder–decoder, and a causal model with a compressed layer gets no
/// stepping API. Its valid encoders are <see cref="CompressedAttentionDiagnosticCases.ValidEncoders"/>.
/// </summary>
public class CompressedAttentionDeclarationTests
{
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
    public void A_causal_model_with_a_compressed_layer_steps()
    {
        var run = GeneratorHarness.Run(DiagnosticCases.Usings + DiagnosticCases.Transformer
            + "[FullAttention(Heads = 4)]\n[CompressedAttention(Heads = 4, Every = 2)]\npublic partial class TinyGpt;");

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationProblems);
        Assert.Contains("CreateState", Assert.Single(run.Sources).Value, StringComparison.Ordinal);
    }
}
