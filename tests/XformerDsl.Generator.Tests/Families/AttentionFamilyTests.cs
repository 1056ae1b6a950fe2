extern alias generator;
using System.Reflection;
using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;
using AttentionFamilies = generator::XformerDsl.Generator.Families.AttentionFamilies;
using DiagnosticDescriptors = generator::XformerDsl.Generator.Diagnostics.DiagnosticDescriptors;
using GeneratorSpecs = generator::XformerDsl.Specs;
using ModelToGenerate = generator::XformerDsl.Generator.Model.ModelToGenerate;
using TrackingNames = generator::XformerDsl.Generator.TrackingNames;

namespace XformerDsl.Generator.Tests.Families;

/// <summary>
/// What used to be kept by hand when a family was added: the registry, the attributes, the spec records, the rules'
/// IDs and the descriptor table must agree. Each test derives both sides from the code, so a family that forgets a
/// piece fails here rather than in a user's build.
/// </summary>
public class AttentionFamilyTests
{
    private static readonly Assembly s_dsl = typeof(AttentionAttribute).Assembly;

    /// <summary>The concrete attention spec records users can build (the Dsl assembly's, not the generator's copies).</summary>
    private static IEnumerable<Type> SpecTypes() =>
        s_dsl.GetTypes().Where(type => type.IsSubclassOf(typeof(Specs.AttentionSpec)) && !type.IsAbstract);

    /// <summary>The attention attributes users can write.</summary>
    private static IEnumerable<Type> AttributeTypes() =>
        s_dsl.GetTypes().Where(type => type.IsSubclassOf(typeof(AttentionAttribute)) && !type.IsAbstract);

    [Fact]
    public void Every_spec_type_has_exactly_one_family_and_every_attribute_one_family()
    {
        var families = AttentionFamilies.All;
        Assert.Equal(families.Length, families.Select(f => f.SpecType.FullName).Distinct().Count());
        Assert.Equal(families.Length, families.Select(f => f.MetadataName).Distinct().Count());
        Assert.Equal(SpecTypes().Select(t => t.FullName!).Order(StringComparer.Ordinal), families.Select(f => f.SpecType.FullName!).Order(StringComparer.Ordinal));
        Assert.Equal(AttributeTypes().Select(t => t.FullName!).Order(StringComparer.Ordinal), families.Select(f => f.MetadataName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Registry_is_sorted_one_family_per_line()
    {
        var names = AttentionFamilies.All.Select(f => f.AttributeName).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
    }

    [Fact]
    public void Every_attribute_property_matches_a_spec_parameter()
    {
        // Layers and Every choose the layers (the LayerSelector beside the spec) and Stack the stack (beside it too, on
        // LayerAttention); every other property is one parameter of the family's spec record with the same name, and
        // every parameter is one property.
        var selector = new[] { nameof(AttentionAttribute.Layers), nameof(AttentionAttribute.Every), nameof(AttentionAttribute.Stack) };
        foreach (var family in AttentionFamilies.All)
        {
            var attribute = s_dsl.GetType(family.MetadataName, throwOnError: true)!;
            var spec = s_dsl.GetType(family.SpecType.FullName!, throwOnError: true)!;
            var properties = attribute.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.CanWrite && !selector.Contains(p.Name)).Select(p => p.Name).Order(StringComparer.Ordinal);
            var parameters = spec.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First()
                .GetParameters().Select(p => p.Name!).Order(StringComparer.Ordinal);
            Assert.True(properties.SequenceEqual(parameters),
                $"{family.AttributeName}: attribute properties [{string.Join(", ", properties)}] but spec parameters [{string.Join(", ", parameters)}]");
        }
    }

    public static TheoryData<string> Declarations() => new(GeneratorHarness.DeclarationNames());

    /// <summary>
    /// The header comment and the emitted <c>Spec</c> are written from <c>Format</c>; declaring a model with exactly
    /// those arguments must give back the same spec, for every attention declaration of every test declaration.
    /// </summary>
    [Theory]
    [MemberData(nameof(Declarations))]
    public void Parse_of_format_gives_back_the_spec(string declaration)
    {
        foreach (var model in Models(GeneratorHarness.Declaration(declaration)))
        {
            var spec = model.Spec;
            var attributes = spec.Attention.Select(d =>
            {
                var family = AttentionFamilies.Of(d.Attention);
                var stack = d.Stack == generator::XformerDsl.ModelStack.Both ? [] : new[] { (Name: "Stack", Literal: "global::XformerDsl.ModelStack." + d.Stack) };
                var arguments = family.Format(d.Attention).Concat(d.Layers.Arguments()).Concat(stack).Select(a => a.Name + " = " + a.Literal);
                return $"[global::{family.MetadataName}({string.Join(", ", arguments)})]";
            });
            // Only the frame needed for the attention to mean the same: the sizes, the causal flag, the encoder's depth, and
            // relative positions, which only [SegmentRecurrence] computes and needs.
            var encoder = spec.Encoder is { } e ? $"[global::XformerDsl.Encoder(Depth = {e.Depth}, Vocab = {e.Vocab}, MaxLength = {e.MaxLength})]" : "";
            var positions = spec.Positions.Kind == generator::XformerDsl.PositionEncoding.Relative ? "[global::XformerDsl.Positions(Kind = global::XformerDsl.PositionEncoding.Relative)]" : "";
            var source = $$"""
                [global::XformerDsl.Transformer(Vocab = {{spec.Vocab}}, Dim = {{spec.Dim}}, Depth = {{spec.Depth}}, MaxLength = {{spec.MaxLength}}, Causal = {{(spec.Causal ? "true" : "false")}})]
                {{encoder}}
                {{positions}}
                {{string.Join("\n", attributes)}}
                public partial class RoundTrip;
                """;
            var reparsed = Assert.Single(Models(source));
            Assert.Equal(spec.Attention, reparsed.Spec.Attention);
        }
    }

    private static IEnumerable<ModelToGenerate> Models(string source)
    {
        var run = GeneratorHarness.Run(source);
        Assert.Empty(run.GeneratorDiagnostics);
        return run.Result.Results.Single().TrackedSteps[TrackingNames.Models]
            .SelectMany(step => step.Outputs)
            .Select(output => output.Value)
            .OfType<ModelToGenerate>();
    }

    [Fact]
    public void Every_rule_lies_in_its_owners_id_block_and_no_two_owners_share_a_block()
    {
        var sets = AttentionFamilies.RuleSets.Prepend(GeneratorSpecs.SpecRules.All).ToList();
        foreach (var set in sets)
            foreach (var rule in set.Rules)
                Assert.True(set.Reserves(rule.Id), $"{rule.Id} ({rule.Title}) of {set.Owner} lies outside its blocks {string.Join(", ", set.Blocks)}");
        var blocks = sets.SelectMany(set => set.Blocks.Select(block => (set.Owner, Block: block))).ToList();
        foreach (var a in blocks)
            foreach (var b in blocks.Where(b => !ReferenceEquals(a.Block, b.Block)))
                Assert.False(a.Block.First <= b.Block.Last && b.Block.First <= a.Block.Last, $"{a.Owner} {a.Block} overlaps {b.Owner} {b.Block}");
    }

    [Fact]
    public void Every_descriptor_is_reserved_by_one_owner_and_every_rule_has_a_descriptor()
    {
        var sets = AttentionFamilies.RuleSets.Prepend(GeneratorSpecs.SpecRules.All).ToList();
        foreach (var descriptor in DiagnosticDescriptors.All)
            Assert.Single(sets, set => set.Reserves(descriptor.Id));
        foreach (var rule in sets.SelectMany(set => set.Rules))
        {
            var descriptor = DiagnosticDescriptors.For(rule);
            Assert.Equal((rule.Title, rule.MessageFormat), (descriptor.Title.ToString(), descriptor.MessageFormat.ToString()));
        }
        foreach (var family in AttentionFamilies.All)
            foreach (var descriptor in family.GeneratorDiagnostics)
                Assert.True(family.Rules is { } rules && rules.Reserves(descriptor.Id), $"{descriptor.Id} of {family.AttributeName} lies outside its family's block");
        Assert.Equal(DiagnosticDescriptors.All.Length, DiagnosticDescriptors.All.Select(d => d.Id).Distinct().Count());
    }
}
