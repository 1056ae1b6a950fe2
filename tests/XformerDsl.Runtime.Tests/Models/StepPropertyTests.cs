using TorchSharp;
using XformerDsl.Modules;
using XformerDsl.Specs;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Models;

/// <summary>A window far shorter than the sequence, for the state that stops growing.</summary>
[Transformer(Vocab = 8, Dim = 16, Depth = 1, MaxLength = 4096)]
[SlidingWindowAttention(Heads = 2, Window = 64, GlobalTokens = 2)]
[FeedForward(Hidden = 32)]
public partial class SlidingStepLong;

/// <summary>
/// Token-by-token generation, over every causal language model this test project declares (found by reflection, as
/// <see cref="CausalityPropertyTests"/> finds them): each model that steps gives at every position the logits of its
/// parallel forward; each causal model steps unless its family is named below with why; and a sliding window's state
/// stops growing once the window is full.
/// </summary>
public class StepPropertyTests
{
    /// <summary>
    /// Causal families with no step yet, each with why: the generator gives their models no <c>CreateState</c>/<c>Step</c>
    /// (a compile-time fact, not a run-time error). Causal LSH steps, except with the paper's chunking (see
    /// <see cref="ChoosesUnsteppableLsh"/>).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> FamiliesThatDoNotStep = new Dictionary<string, string>
    {
    };

    /// <summary>
    /// Causal LSH with the paper's chunking (<c>CausalWindow = LshCausalWindow.SortedChunks</c>) cannot step: its chunks
    /// depend on later tokens' hashes, so no step can equal its forward.
    /// </summary>
    public static bool ChoosesUnsteppableLsh(AttentionSpec attention) =>
        attention is LshAttentionSpec { CausalWindow: LshCausalWindow.SortedChunks };

    /// <summary>Why a reversible model does not step yet, or null once it does.</summary>
    public static readonly string? ReversibleDoesNotStep = null;

    // Long declarations step through a prefix (4 windows of SlidingCausalPlain): a step loop of MaxLength = 4096 per
    // model would dominate the suite.
    private const int LongestStepped = 256;

    public static TheoryData<string> SteppingModels()
    {
        var data = new TheoryData<string>();
        foreach (var (name, type) in CausalityPropertyTests.DeclaredCausalLanguageModels().OrderBy(pair => pair.Key, StringComparer.Ordinal))
            if (typeof(IRecurrentLanguageModel).IsAssignableFrom(type))
                data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(SteppingModels))]
    public void Stepping_equals_the_parallel_forward_at_every_position(string name)
    {
        var type = CausalityPropertyTests.DeclaredCausalLanguageModels()[name];
        var spec = CausalityPropertyTests.SpecOf(type);
        using var model = ModelTestKit.Create(() => (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!);
        var recurrent = (IRecurrentLanguageModel)model;
        using var scope = NewDisposeScope();
        int seq = Math.Min(spec.MaxLength, LongestStepped);
        // Transformer-XL steps as one-token segments over a memory of Memory positions: the parallel forward, which has no
        // memory, sees the same keys up to Memory + 1 tokens, or always with SameLength. A Compressive Transformer's memory
        // holds up to Memory + CompressionRatio − 1 positions before the first group is compressed, so it sees them up to
        // Memory + CompressionRatio tokens. (Beyond that the step is checked against one-token segments,
        // SegmentRecurrenceStepTests and CompressiveStepTests.)
        if (spec.Attention.Select(layer => layer.Attention).OfType<SegmentRecurrenceSpec>().FirstOrDefault() is { SameLength: false } xl)
            seq = Math.Min(seq, xl.Memory + (xl.IsCompressive ? xl.CompressionRatio : 1));
        var tokens = ModelTestKit.RandomTokens(2, seq, spec.Vocab, seed: 21);
        var parallel = model.call(tokens);

        using var state = recurrent.CreateState(2);
        for (int position = 0; position < seq; position++)
        {
            using var stepScope = NewDisposeScope();
            var logits = recurrent.Step(state, tokens[.., position]);
            Assert.True(logits.allclose(parallel[.., position], rtol: 1e-9, atol: 1e-10),
                $"{name}, position {position}: max |step − forward| = {(logits - parallel[.., position]).abs().max().item<double>()}");
        }
    }

    [Fact]
    public void Every_causal_model_steps_unless_its_family_is_named_as_not_stepping()
    {
        foreach (var (name, type) in CausalityPropertyTests.DeclaredCausalLanguageModels())
        {
            var spec = CausalityPropertyTests.SpecOf(type);
            bool named = spec.Attention.Any(layer => FamiliesThatDoNotStep.ContainsKey(layer.Attention.AttributeName) || ChoosesUnsteppableLsh(layer.Attention))
                || (spec.Reversible && ReversibleDoesNotStep is not null);
            Assert.True(named != typeof(IRecurrentLanguageModel).IsAssignableFrom(type),
                named ? $"{name} steps, so its family should leave the list of families that do not" : $"{name} is causal and does not step");
        }
    }

    [Theory]
    [InlineData(typeof(SlidingStepLong))]
    [InlineData(typeof(Attention.Patterns.DilatedCausal))]
    [InlineData(typeof(Attention.Patterns.LocalCausal))]
    public void A_window_or_block_local_state_stops_growing(Type type)
    {
        var spec = CausalityPropertyTests.SpecOf(type);
        using var model = ModelTestKit.Create(() => (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!);
        var recurrent = (IRecurrentLanguageModel)model;
        using var scope = NewDisposeScope();
        int seq = Math.Min(spec.MaxLength, 512);
        var tokens = ModelTestKit.RandomTokens(1, seq, spec.Vocab, seed: 5);
        using var state = recurrent.CreateState(1);
        var elements = new List<long>();
        for (int position = 0; position < seq; position++)
        {
            using var stepScope = NewDisposeScope();
            recurrent.Step(state, tokens[.., position]);
            elements.Add(state.Elements);
        }
        // Once the first window (or blocks) has filled the ring, the state holds the same number of elements to the end.
        int full = seq / 2;
        Assert.All(elements.Skip(full), count => Assert.Equal(elements[full], count));
        Assert.True(elements[full] < (long)spec.MaxLength * spec.Dim * 2, "the state holds as much as a key-value cache of the whole sequence");
    }

    [Fact]
    public void A_batch_at_different_positions_steps_each_pattern_sequence_as_if_alone()
    {
        using var model = ModelTestKit.Create(() => new Attention.Patterns.BigBirdCausal());
        var recurrent = (IRecurrentLanguageModel)model;
        using var scope = NewDisposeScope();
        int[] lengths = { 70, 200, 130 };
        var sequences = lengths.Select((length, i) => ModelTestKit.RandomTokens(1, length, 4, seed: 60 + i)).ToArray();
        var alone = sequences.Select(s => model.call(s)[0]).ToArray();

        using var state = recurrent.CreateState(lengths.Length);
        // The third sequence takes a token every other step only, so the batch's positions drift apart.
        var taken = new int[lengths.Length];
        for (int step = 0; taken.Where((count, i) => count < lengths[i]).Any(); step++)
        {
            using var stepScope = NewDisposeScope();
            var takes = lengths.Select((length, i) => taken[i] < length && (i != 2 || step % 2 == 0)).ToArray();
            var tokens = tensor(lengths.Select((length, i) => takes[i] ? sequences[i][0, taken[i]].item<long>() : 0L).ToArray());
            var logits = recurrent.Step(state, tokens, tensor(takes));
            for (int i = 0; i < lengths.Length; i++)
                if (takes[i])
                {
                    Assert.True(logits[i].allclose(alone[i][taken[i]], rtol: 1e-9, atol: 1e-10), $"sequence {i}, position {taken[i]}");
                    taken[i]++;
                }
        }
    }
}
