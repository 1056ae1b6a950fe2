using System.Globalization;
using XformerDsl.Generator.Tests.Infrastructure;
using XformerDsl.Specs;
using Xunit;

namespace XformerDsl.Generator.Tests;

/// <summary>
/// The spec rules and the model card are shared by the generator and run-time code: a spec built at run time is
/// rejected with the same ID and message the compiler shows for the equivalent declaration.
/// </summary>
public class SpecRuleTests
{
    private static ModelSpec TinyGpt(int heads = 4, bool causal = true, int dim = 256) => new(
        Name: "TinyGpt", Vocab: 256, Dim: dim, Depth: 4, MaxLength: 1024, Causal: causal, Bias: true, TiedEmbeddings: false, Dropout: 0.0,
        Attention: ModelSpec.EveryLayer(new FullAttentionSpec(heads)),
        FeedForward: new FeedForwardSpec(1024, Activation.Gelu),
        Positions: new PositionSpec(PositionEncoding.Learned, 10000.0),
        Normalization: new NormSpec(NormKind.LayerNorm, NormPlacement.Pre, 1e-5));

    [Fact]
    public void Run_time_validation_reports_what_the_compiler_reports()
    {
        var problem = Assert.Single(TinyGpt(heads: 3).Validate());

        var run = GeneratorHarness.Run("""
            using XformerDsl;
            [Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1024)]
            [FullAttention(Heads = 3)]
            public partial class TinyGpt;
            """);
        var diagnostic = Assert.Single(run.GeneratorDiagnostics);

        Assert.Equal(diagnostic.Id, problem.Rule.Id);
        Assert.Equal(diagnostic.GetMessage(CultureInfo.InvariantCulture), problem.Message);
        Assert.Equal(("FullAttention", "Heads"), (problem.Attribute, problem.Argument));
    }

    [Fact]
    public void Layer_selectors_are_resolved_and_checked_at_run_time_too()
    {
        var hybrid = TinyGpt() with
        {
            Attention = ImmutableEquatableArray.Create(
                new LayerAttention(new FullAttentionSpec(4), LayerSelector.Remaining),
                new LayerAttention(new FullAttentionSpec(8), LayerSelector.EveryNth(2))),
        };
        Assert.Empty(hybrid.Validate());
        Assert.Equal(new[] { 4, 8, 4, 8 }, Enumerable.Range(0, 4).Select(layer => hybrid.AttentionAt(layer).Heads));

        var overlapping = hybrid with { Attention = hybrid.Attention.Concat([new LayerAttention(new FullAttentionSpec(2), LayerSelector.Of(3))]).ToImmutableEquatableArray() };
        var problem = Assert.Single(overlapping.Validate());
        Assert.Equal(SpecRules.LayersOverlap, problem.Rule);
        Assert.Equal(2, problem.AttentionIndex);
        Assert.Equal("[FullAttention(Every = 2)] and [FullAttention(Layers = new[] { 3 })] both claim layer 3; give each layer exactly one attention", problem.Message);
    }

    [Fact]
    public void Invalid_spec_cannot_get_a_card()
    {
        var exception = Assert.Throws<ArgumentException>(() => ModelCard.Of(TinyGpt(heads: 3, dim: 0)));
        Assert.Contains("XF0013: Dim = 0", exception.Message);
        Assert.DoesNotContain("XF0014", exception.Message);   // no cascade: divisibility is meaningless for Dim = 0
    }

    [Fact]
    public void Specs_have_value_equality()
    {
        Assert.Equal(TinyGpt(), TinyGpt());
        Assert.Equal(TinyGpt().GetHashCode(), TinyGpt().GetHashCode());
        Assert.NotEqual(TinyGpt(), TinyGpt(heads: 8));
        Assert.Equal(ImmutableEquatableArray.Create("a", "b"), new[] { "a", "b" }.ToImmutableEquatableArray());
        Assert.NotEqual(ImmutableEquatableArray.Create("a", "b"), ImmutableEquatableArray.Create("b", "a"));
    }

    [Fact]
    public void Macs_per_token_follow_the_documented_definition()
    {
        long d = 256, h = 1024, v = 256, depth = 4;
        long perLayerWithoutMixing = 4 * d * d + 2 * d * h;

        // A single causal token sees one key: Dim MACs for its score and Dim for its weighted value.
        Assert.Equal(depth * (perLayerWithoutMixing + 2 * d) + v * d, ModelCard.Of(TinyGpt()).MacsPerToken(1));
        // Averaged over a causal sequence of L tokens each query sees (L+1)/2 keys; bidirectional queries see L.
        var causal = ModelCard.Of(TinyGpt());
        var bidirectional = ModelCard.Of(TinyGpt(causal: false));
        Assert.Equal(depth * d, causal.MacsPerToken(11) - causal.MacsPerToken(10));
        Assert.Equal(2 * depth * d, bidirectional.MacsPerToken(11) - bidirectional.MacsPerToken(10));
        Assert.Equal(causal.MacsPerToken(1024), causal.MacsPerTokenAtMaxLength);
        Assert.Throws<ArgumentOutOfRangeException>(() => causal.MacsPerToken(0));
    }

    [Fact]
    public void Numbers_are_formatted_invariantly_whatever_the_current_culture()
    {
        var saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            Assert.Equal("1e-05", SpecFormat.Double(1e-5));
            Assert.Equal("0.1", SpecFormat.DoubleLiteral(0.1));
            Assert.Equal("10000.0", SpecFormat.DoubleLiteral(10000));
            Assert.Equal("1e+300", SpecFormat.DoubleLiteral(1e300));
            Assert.Contains("3,553,024", ModelCard.Of(TinyGpt()).Describe()[0]);
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    [Theory]
    [InlineData(256, 3, "4 or 8")]
    [InlineData(96, 5, "6 or 8")]
    [InlineData(7, 3, "7")]
    [InlineData(12, 13, "6 or 12")]
    public void Heads_suggestions_are_divisors_near_the_request(int dim, int heads, string suggestion)
    {
        var spec = TinyGpt(heads: heads, dim: dim);
        var problem = spec.Validate().Single(p => p.Rule == SpecRules.HeadsDoNotDivideDim);
        Assert.EndsWith("such as " + suggestion, problem.Message);
    }
}
