using TorchSharp;
using XformerDsl.Modules;
using XformerDsl.Training;
using Xunit;
using static TorchSharp.torch;
using static XformerDsl.Tests.Attention.AttentionKernelKit;

namespace XformerDsl.Tests.Attention.Recurrence;

/// <summary>
/// CreateState/Step of Transformer-XL models: a step is a segment of one token over each layer's memory, so stepping a
/// stream longer than the memory equals running it as one-token segments with a <see cref="SegmentMemory"/> of Memory
/// positions (the forward pass over the whole stream while it fits in the memory is checked by
/// <c>StepPropertyTests</c>); a batch at different positions steps each sequence as if alone; the state stops growing
/// once the memory is full; <see cref="Sampler.Generate"/> steps these models.
/// </summary>
public class SegmentRecurrenceStepTests
{
    private static T Create<T>(Func<T> create) where T : nn.Module => SegmentRecurrenceModelTests.Create(create);

    private static void AssertStepsEqualOneTokenSegments<TModel>(TModel model, int memoryLength)
        where TModel : ISegmentRecurrentModel, IRecurrentLanguageModel
    {
        using var memory = model.CreateMemory(memoryLength);
        AssertStepsEqualOneTokenSegments(model, memory, length: 20, tolerance: 1e-10);
    }

    /// <summary>
    /// Steps two random sequences of <paramref name="length"/> tokens and checks each step's logits against the same
    /// token run as a one-token segment through forward with <paramref name="memory"/> (fresh, updated here).
    /// </summary>
    internal static void AssertStepsEqualOneTokenSegments<TModel>(TModel model, SegmentMemory memory, int length, double tolerance)
        where TModel : ISegmentRecurrentModel, IRecurrentLanguageModel
    {
        manual_seed(3);
        var tokens = randint(0, 16, new long[] { 2, length });
        using var state = model.CreateState(2);
        using var noGrad = no_grad();
        for (int t = 0; t < length; t++)
        {
            using var scope = NewDisposeScope();
            var segment = model.forward(tokens[.., t..(t + 1)], null, memory)[.., 0];
            AssertClose(segment, model.Step(state, tokens[.., t]), $"{model.GetType().Name}, logits at position {t}", tolerance);
        }
    }

    /// <summary>
    /// Greedy generation by hand, the sampler's independent reference: <paramref name="prompt"/> then
    /// <paramref name="count"/> tokens, each run as a one-token segment through forward with <paramref name="memory"/>.
    /// </summary>
    internal static List<long> GreedyOneTokenSegments(ISegmentRecurrentModel model, SegmentMemory memory, long[] prompt, int count)
    {
        using var noGrad = no_grad();
        var generated = new List<long>();
        Tensor logits = null!;
        foreach (long token in prompt)
            logits = model.forward(tensor(new[] { token }).view(1, 1), null, memory);
        for (int i = 0; i < count; i++)
        {
            long next = logits[0, 0].argmax().item<long>();
            generated.Add(next);
            logits = model.forward(tensor(new[] { next }).view(1, 1), null, memory);
        }
        return generated;
    }

    [Fact]
    public void Stepping_past_the_memory_equals_one_token_segments_with_a_memory_of_Memory_positions()
    {
        using var model = Create(() => new TinyTransformerXl());
        AssertStepsEqualOneTokenSegments(model, memoryLength: 8);
    }

    [Fact]
    public void Stepping_a_same_length_model_past_its_memory_equals_one_token_segments()
    {
        using var model = Create(() => new TinySameLengthXl());
        AssertStepsEqualOneTokenSegments(model, memoryLength: 4);
    }

    [Fact]
    public void A_batch_at_different_positions_steps_each_sequence_as_if_alone()
    {
        using var model = Create(() => new TinyTransformerXl());
        manual_seed(4);
        int[] lengths = { 12, 7, 11 };
        var sequences = lengths.Select(length => randint(0, 16, new long[] { 1, length })).ToArray();
        using var noGrad = no_grad();
        var alone = sequences.Select(s =>
        {
            using var state = model.CreateState(1);
            return cat(Enumerable.Range(0, (int)s.shape[1]).Select(t => model.Step(state, s[.., t])).ToArray());
        }).ToArray();

        using var batch = model.CreateState(lengths.Length);
        var taken = new int[lengths.Length];
        for (int step = 0; taken.Where((count, i) => count < lengths[i]).Any(); step++)
        {
            using var scope = NewDisposeScope();
            // The second sequence takes a token every third step only, so the memories fill at different rates.
            var takes = lengths.Select((length, i) => taken[i] < length && (i != 1 || step % 3 == 0)).ToArray();
            var tokens = tensor(lengths.Select((_, i) => takes[i] ? sequences[i][0, taken[i]].item<long>() : 0L).ToArray());
            var logits = model.Step(batch, tokens, tensor(takes));
            for (int i = 0; i < lengths.Length; i++)
                if (takes[i])
                {
                    AssertClose(alone[i][taken[i]], logits[i], $"sequence {i}, position {taken[i]}", tolerance: 1e-10);
                    taken[i]++;
                }
        }
    }

    [Fact]
    public void The_state_stops_growing_at_the_memory()
    {
        using var model = Create(() => new TinyTransformerXl());
        using var state = model.CreateState(1);
        using var noGrad = no_grad();
        var elements = new List<long>();
        for (int t = 0; t < 12; t++)
        {
            using var scope = NewDisposeScope();
            model.Step(state, tensor(new[] { (long)t % 16 }));
            elements.Add(state.Elements);
        }
        Assert.All(elements, count => Assert.Equal(elements[0], count));
        // Two layers, each 8 positions of 16 values and 8 slot flags, and the position.
        Assert.Equal(2 * (8 * 16 + 8) + 1, elements[0]);
    }

    [Theory]
    [InlineData(12)]
    [InlineData(4)]   // shorter than prompt + continuation: the memory, not a window, is the context
    public void The_sampler_generates_by_stepping_over_the_memory(int contextLength)
    {
        using var model = Create(() => new TinyTransformerXl());
        long[] prompt = { 3, 1, 4, 1, 5 };
        var generated = Sampler.Generate(model, prompt, new SamplingOptions { ContextLength = contextLength, MaxNewTokens = 6, Temperature = 0 });

        // Greedy by hand: one-token segments over a memory of Memory = 8 positions.
        using var memory = model.CreateMemory();
        Assert.Equal(GreedyOneTokenSegments(model, memory, prompt, 6), generated);
    }

}
