using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// Valid <c>[LowRankAttention]</c> declarations (bidirectional, as the family requires): no diagnostic, one generated
/// file, and it compiles without warnings.
/// </summary>
public class LowRankAttentionDeclarationTests
{
    public static TheoryData<string> ValidDeclarations() => new()
    {
        "[LowRankAttention(Heads = 4, ProjectedLength = 256)]",
        "[LowRankAttention(Heads = 4, ProjectedLength = 1024, Sharing = LowRankSharing.KeyValue)] [Positions(Kind = PositionEncoding.Rotary)]",
        "[LowRankAttention(Heads = 8, ProjectedLength = 64, Sharing = LowRankSharing.Headwise)] [FullAttention(Heads = 4, Every = 2)]",
        "[LowRankAttention(Heads = 4, ProjectedLength = 128)] [ClassificationHead(Classes = 3)]",
        "[LowRankAttention(Heads = 4, ProjectedLength = 128, Sharing = LowRankSharing.Layerwise)]",
        "[LowRankAttention(Heads = 4, ProjectedLength = 128, Sharing = LowRankSharing.Layerwise)] [LowRankAttention(Heads = 8, ProjectedLength = 128, Sharing = LowRankSharing.Layerwise, Every = 3)] [LowRankAttention(Heads = 2, ProjectedLength = 64, Layers = new[] { 1 })]",
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
