using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// <c>[LowRankAttention]</c> in an encoder–decoder: the encoder stack takes it with the source's MaxLength and owns a
/// layerwise projection. Its valid encoders are <see cref="LowRankAttentionDiagnosticCases.ValidEncoders"/>.
/// </summary>
public class LowRankAttentionDeclarationTests
{
    [Fact]
    public void Encoder_stack_of_an_encoder_decoder_takes_it_with_the_sources_MaxLength()
    {
        // The decoder is causal, the encoder bidirectional: the rules see each stack as a model of its own.
        var run = GeneratorHarness.Run(DiagnosticCases.Usings + DiagnosticCases.Transformer
            + "[Encoder(Depth = 2, MaxLength = 512)]\n[LowRankAttention(Heads = 4, ProjectedLength = 128, Stack = ModelStack.Encoder)]\n"
            + "[FullAttention(Heads = 4, Stack = ModelStack.Decoder)]\npublic partial class TinyTranslator;");

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationProblems);
        Assert.Contains("private const int MaxLength = 512;", Assert.Single(run.Sources).Value, StringComparison.Ordinal);
    }

    [Fact]
    public void Layerwise_sharing_in_an_encoder_is_owned_by_the_encoder_stack()
    {
        var run = GeneratorHarness.Run(DiagnosticCases.Usings + DiagnosticCases.Transformer
            + "[Encoder(Depth = 2, MaxLength = 512)]\n[LowRankAttention(Heads = 4, ProjectedLength = 128, Sharing = LowRankSharing.Layerwise, Stack = ModelStack.Encoder)]\n"
            + "[FullAttention(Heads = 4, Stack = ModelStack.Decoder)]\npublic partial class TinyTranslator;");

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationProblems);
        var source = Assert.Single(run.Sources).Value;
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(source, @"Parameter shared_e_proj;"));
    }
}
