using System.Reflection;
using TorchSharp;
using XformerDsl.Modules;
using XformerDsl.Specs;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Models;

/// <summary>
/// The causal property, over every causal language model this test project declares (found by reflection, so a new
/// declaration is covered without being listed): changing the tokens after position t leaves the logits at positions
/// up to t bit-identical. Every family, mixed models and reversible ones alike, in float32 on the fused kernels.
/// </summary>
public class CausalityPropertyTests
{
    /// <summary>
    /// Declarations that break the property by choice, each with why: causal LSH with the paper's chunking
    /// (<c>CausalWindow = LshCausalWindow.SortedChunks</c>), where which earlier keys share a query's chunk depends on
    /// where later tokens hash (docs/families/LshAttention.md). Nothing else may be added here.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> KnownToSeeTheFuture = new Dictionary<string, string>
    {
        ["Reformer.ChunkedLsh"] = "the paper's LSH chunking: chunk boundaries depend on where later tokens hash",
        ["Attention.Lsh.LshKernel16"] = "the paper's LSH chunking: chunk boundaries depend on where later tokens hash",
    };

    // Long declarations are checked on a prefix: the property holds at every length, and MaxLength 4096 twice per model
    // would dominate the suite.
    private const int LongestChecked = 512;

    public static TheoryData<string> CausalLanguageModels()
    {
        var data = new TheoryData<string>();
        foreach (var type in DeclaredCausalLanguageModels().Keys.Order(StringComparer.Ordinal))
            if (!KnownToSeeTheFuture.ContainsKey(type))
                data.Add(type);
        return data;
    }

    [Theory]
    [MemberData(nameof(CausalLanguageModels))]
    public void Logits_up_to_t_are_bit_identical_when_only_later_tokens_change(string name)
    {
        var type = DeclaredCausalLanguageModels()[name];
        var spec = SpecOf(type);
        torch.manual_seed(4321);
        using var model = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
        model.eval();
        using var scope = NewDisposeScope();
        int seq = Math.Min(spec.MaxLength, LongestChecked);
        var tokens = ModelTestKit.RandomTokens(2, seq, spec.Vocab, seed: 17);
        var before = model.call(tokens);
        // Cut after the first token, inside the sequence, and before the last one: every later token changes.
        foreach (int t in new[] { 0, seq / 3, seq - 2 }.Where(t => t >= 0 && t < seq - 1).Distinct())
        {
            var edited = tokens.clone();
            edited[.., (t + 1)..] = (tokens[.., (t + 1)..] + 1 + randint(spec.Vocab - 1, new long[] { 2, seq - t - 1 }, dtype: int64)) % spec.Vocab;
            var after = model.call(edited);
            Assert.True(before[.., ..(t + 1)].eq(after[.., ..(t + 1)]).all().item<bool>(),
                $"{name}: logits at positions ≤ {t} changed when only tokens after {t} did (max |Δ| = {(before[.., ..(t + 1)] - after[.., ..(t + 1)]).abs().max().item<float>()})");
            Assert.False(before[.., (t + 1)..].eq(after[.., (t + 1)..]).all().item<bool>(), $"{name}: the edited positions did not change the logits");
        }
    }

    [Fact]
    public void The_known_exceptions_are_causal_lsh_declarations_this_project_has()
    {
        var declared = DeclaredCausalLanguageModels();
        foreach (var name in KnownToSeeTheFuture.Keys)
        {
            Assert.True(declared.ContainsKey(name), $"{name} is listed as an exception but is not a causal language model of this project");
            Assert.Contains(SpecOf(declared[name]).Attention, layer => layer.Attention is LshAttentionSpec { CausalWindow: LshCausalWindow.SortedChunks });
        }
    }

    [Fact]
    public void Every_family_with_a_causal_form_is_covered()
    {
        // The property is only as good as the declarations it runs over: each of these has at least one.
        var families = DeclaredCausalLanguageModels().Values.SelectMany(type => SpecOf(type).Attention.Select(layer => layer.Attention.AttributeName)).ToHashSet();
        foreach (var family in new[]
        {
            "FullAttention", "LinearAttention", "LocalAttention", "SlidingWindowAttention", "SparseAttention", "BigBirdAttention",
            "AxialAttention", "LshAttention", "SynthesizerAttention", "CompressedAttention", "LongShortRangeAttention",
            "RoutingAttention",
            "SinkhornAttention",
        })
            Assert.Contains(family, families);
        Assert.Contains(DeclaredCausalLanguageModels().Values, type => SpecOf(type).Reversible);
        Assert.Contains(DeclaredCausalLanguageModels().Values, type => SpecOf(type).Attention.Count > 1);
    }

    /// <summary>Every generated causal language model of this assembly with a parameterless constructor, by class name.</summary>
    internal static IReadOnlyDictionary<string, Type> DeclaredCausalLanguageModels() => s_models.Value;

    private static readonly Lazy<IReadOnlyDictionary<string, Type>> s_models = new(() =>
        typeof(CausalityPropertyTests).Assembly.GetTypes()
            .Where(type => typeof(IDeclaredModel).IsAssignableFrom(type) && typeof(nn.Module<Tensor, Tensor>).IsAssignableFrom(type)
                && !type.IsAbstract && type.GetConstructor(Type.EmptyTypes) is not null)
            .Where(type => SpecOf(type) is { Causal: true, Encoder: null, Head: null })
            .ToDictionary(NameOf, type => type));

    // Declarations of one name live in different namespaces or classes (checkpoint tests): named by full name past the project's namespace.
    private static string NameOf(Type type) => type.FullName!.Replace("XformerDsl.Tests.", "").Replace('+', '.');

    internal static ModelSpec SpecOf(Type type) =>
        (ModelSpec)type.GetProperty("Spec", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
}
