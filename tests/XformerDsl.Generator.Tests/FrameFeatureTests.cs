extern alias generator;
using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;
using ChunkedFeedForwardFeature = generator::XformerDsl.Generator.Emit.Frame.ChunkedFeedForwardFeature;
using CrossAttentionFeature = generator::XformerDsl.Generator.Emit.Frame.CrossAttentionFeature;
using FrameFeatures = generator::XformerDsl.Generator.Emit.Frame.FrameFeatures;
using ModelSpec = generator::XformerDsl.Specs.ModelSpec;
using ModelToGenerate = generator::XformerDsl.Generator.Model.ModelToGenerate;
using RecurrentEmitter = generator::XformerDsl.Generator.Emit.RecurrentEmitter;
using ReversibleBlocksFeature = generator::XformerDsl.Generator.Emit.Frame.ReversibleBlocksFeature;
using SegmentMemoryFeature = generator::XformerDsl.Generator.Emit.Frame.SegmentMemoryFeature;
using SegmentRecurrenceSpec = generator::XformerDsl.Specs.SegmentRecurrenceSpec;
using TrackingNames = generator::XformerDsl.Generator.TrackingNames;

namespace XformerDsl.Generator.Tests;

/// <summary>
/// Each frame feature in <c>FrameFeatures.All</c> applies to exactly the models that declare it: over the spec of every
/// snapshot declaration and over variants that switch each feature on and off. That the emitted code is unchanged by
/// expressing reversible blocks and chunked feed-forward as frame features is the snapshot tests' job.
/// </summary>
public class FrameFeatureTests
{
    /// <summary>What each registered feature claims to apply to, from the spec's own fields. A new feature adds its line.</summary>
    private static readonly Dictionary<Type, Func<ModelSpec, bool>> s_claims = new()
    {
        [typeof(ReversibleBlocksFeature)] = spec => spec.Reversible,
        [typeof(ChunkedFeedForwardFeature)] = spec => spec.FeedForward.Chunks > 1,
        [typeof(CrossAttentionFeature)] = spec => spec.CrossAttention is not null,
        [typeof(SegmentMemoryFeature)] = spec => spec.Attention.Any(d => d.Attention is SegmentRecurrenceSpec),
    };

    public static TheoryData<string> Declarations() => new(GeneratorHarness.DeclarationNames());

    [Fact]
    public void Every_registered_feature_has_a_claim_and_is_registered_once()
    {
        var registered = FrameFeatures.All.Select(feature => feature.GetType()).ToList();

        Assert.Equal(registered.Count, registered.Distinct().Count());
        Assert.Equal(s_claims.Keys.Select(t => t.Name).Order(StringComparer.Ordinal), registered.Select(t => t.Name).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Declarations))]
    public void Each_feature_applies_to_exactly_the_declarations_that_claim_it(string declaration)
    {
        var specs = ParsedSpecs(declaration);

        Assert.NotEmpty(specs);
        foreach (var spec in specs)
        {
            foreach (var feature in FrameFeatures.All)
                Assert.True(s_claims[feature.GetType()](spec) == feature.AppliesTo(spec), $"{feature.GetType().Name} on {spec.Name}");
        }
    }

    [Fact]
    public void The_declarations_have_each_feature_and_lack_it()
    {
        var specs = GeneratorHarness.DeclarationNames().SelectMany(ParsedSpecs).ToList();

        foreach (var feature in FrameFeatures.All)
        {
            Assert.Contains(specs, feature.AppliesTo);
            Assert.Contains(specs, spec => !feature.AppliesTo(spec));
        }
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 1)]
    [InlineData(false, 4)]
    [InlineData(true, 4)]
    public void Each_feature_applies_to_exactly_the_variants_that_claim_it(bool reversible, int chunks)
    {
        var tinyGpt = ParsedSpecs("TinyGpt").Single();
        var spec = tinyGpt with { Reversible = reversible, FeedForward = tinyGpt.FeedForward with { Chunks = chunks } };

        var expected = new List<Type>();
        if (reversible)
            expected.Add(typeof(ReversibleBlocksFeature));
        if (chunks > 1)
            expected.Add(typeof(ChunkedFeedForwardFeature));
        Assert.Equal(expected, FrameFeatures.Of(spec).Select(feature => feature.GetType()));
    }

    [Fact]
    public void Reversible_blocks_run_the_stack_and_its_step()
    {
        var tinyGpt = ParsedSpecs("TinyGpt").Single();
        var reversible = tinyGpt with { Reversible = true };

        Assert.True(RecurrentEmitter.IsRecurrent(tinyGpt));
        Assert.Null(FrameFeatures.StackRunner(tinyGpt));
        // The stack runner steps the two streams itself, so a reversible model of stepping layers steps.
        Assert.True(RecurrentEmitter.IsRecurrent(reversible));
        Assert.IsType<ReversibleBlocksFeature>(FrameFeatures.StackRunner(reversible));
    }

    [Fact]
    public void Chunked_feed_forward_runs_the_feed_forward_network()
    {
        var tinyGpt = ParsedSpecs("TinyGpt").Single();
        var chunked = tinyGpt with { FeedForward = tinyGpt.FeedForward with { Chunks = 2 } };

        Assert.Null(FrameFeatures.FeedForwardRunner(tinyGpt));
        Assert.IsType<ChunkedFeedForwardFeature>(FrameFeatures.FeedForwardRunner(chunked));
        Assert.True(RecurrentEmitter.IsRecurrent(chunked));
    }

    // The specs the generator parsed from a declaration file (a file may hold helper models besides the one named like it),
    // and for an encoder–decoder the specs of its two stacks, which the frame emits as models of their own.
    private static IReadOnlyList<ModelSpec> ParsedSpecs(string declaration)
    {
        var run = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ($"/src/{declaration}.cs", GeneratorHarness.Declaration(declaration)) }));
        return run.Result.Results.Single().TrackedSteps[TrackingNames.Models]
            .SelectMany(step => step.Outputs)
            .Select(output => output.Value)
            .OfType<ModelToGenerate>()
            .SelectMany(model => model.Spec.IsEncoderDecoder ? new[] { model.Spec, model.Spec.EncoderStack(), model.Spec.DecoderStack() } : new[] { model.Spec })
            .ToList();
    }
}
