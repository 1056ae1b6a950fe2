using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// <c>[SynthesizerAttention]</c> beside full attention in a short model, and the random mode's parameter cost as a
/// warning, not an error: the model is still generated. The valid declarations of every mode, causal and bidirectional,
/// are <see cref="SynthesizerAttentionDiagnosticCases.Valid"/> and <see cref="SynthesizerAttentionDiagnosticCases.ValidEncoders"/>.
/// </summary>
public class SynthesizerAttentionDeclarationTests
{
    [Fact]
    public void Mixed_with_full_attention_in_a_short_model_generates_and_compiles()
    {
        // MaxLength 128 keeps the random logits (4 · 128² per layer) below the parameters' half, so no XF0114.
        var run = GeneratorHarness.Run(DiagnosticCases.Usings + "[Transformer(Vocab = 256, Dim = 256, Depth = 2, MaxLength = 128)]\n"
            + "[SynthesizerAttention(Heads = 4, DotProduct = true)] [FullAttention(Heads = 4, Every = 2)]\npublic partial class TinySynthesizer;");

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
