using TorchSharp;
using XformerDsl.Attention.Recurrence;
using XformerDsl.Modules;
using XformerDsl.Training;
using Xunit;
using static TorchSharp.torch;
using static XformerDsl.Tests.Attention.AttentionKernelKit;

namespace XformerDsl.Tests.Attention.Recurrence;

/// <summary>
/// CreateState/Step of Compressive Transformers: a step is a segment of one token over each layer's compressed slots and
/// memory, compressing what leaves the memory, so stepping equals running the same tokens as one-token segments through
/// <c>forward</c> with the model's <see cref="SegmentMemory"/>, which compresses, over enough tokens that many groups are
/// compressed and the compressed memory overflows; with a batch whose sequences are at different positions
/// (<c>active</c>) and reordered (beam search); the state has a fixed size; <see cref="Sampler.Generate"/> steps these
/// models. (The forward over the whole sequence, before anything is compressed, is <c>StepPropertyTests</c>'.)
/// </summary>
public class CompressiveStepTests
{
    // TinyCompressiveTransformer and TinyMeanPooledCompressive keep 4 positions and 3 slots of 2: the first group leaves
    // the memory at token 6, one more every 2 tokens, and the compressed memory overflows at token 12.
    private const int Tokens = 24, Memory = 4, Compressed = 3;

    // Logits of one sequence, [1, length], run as one-token segments through forward with a fresh CreateMemory(): [length, vocab].
    private static Tensor OneTokenSegments(TinyCompressiveTransformer model, Tensor sequence)
    {
        using var memory = model.CreateMemory();
        using var noGrad = no_grad();
        return cat(Enumerable.Range(0, (int)sequence.shape[1]).Select(t => model.forward(sequence[.., t..(t + 1)], null, memory)[.., 0]).ToArray());
    }

    // Initialised as generated, W_R, u and v (N(0, 0.02)) make the position term so small that a slot read at a wrong
    // distance would pass a float32 comparison: scaled up, the scores depend on every distance.
    private static TModel WithStrongPositions<TModel>(TModel model) where TModel : nn.Module
    {
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model.named_parameters())
            if (name.Contains("r_proj") || name.Contains("r_r_bias"))
                parameter.mul_(200);
        model.eval();
        return model;
    }

    // Logits are below 1 in magnitude here, so AssertClose's bound is the largest absolute difference.
    private static void AssertStepsEqualOneTokenSegments<TModel>(TModel model)
        where TModel : nn.Module, ISegmentRecurrentModel, IRecurrentLanguageModel
    {
        using var memory = model.CreateMemory(Memory, Compressed);
        SegmentRecurrenceStepTests.AssertStepsEqualOneTokenSegments(model, memory, Tokens, tolerance: 1e-4);
        // The reference did compress, and its compressed memory is full.
        Assert.Equal(Compressed, memory.CompressedPositions);
    }

    // float32, as a model generates by default: the step's masked, fixed-size context against the forward's exact one.
    [Fact]
    public void Stepping_equals_one_token_segments_through_a_compressing_memory()
    {
        manual_seed(7);
        using var model = WithStrongPositions(new TinyCompressiveTransformer());
        AssertStepsEqualOneTokenSegments(model);
    }

    [Fact]
    public void Stepping_a_mean_pooled_post_norm_model_equals_one_token_segments()
    {
        manual_seed(7);
        using var model = WithStrongPositions(new TinyMeanPooledCompressive());
        AssertStepsEqualOneTokenSegments(model);
    }

    [Fact]
    public void A_batch_at_different_positions_and_reordered_steps_each_sequence_as_if_alone()
    {
        using var model = WithStrongPositions(SegmentRecurrenceModelTests.Create(() => new TinyCompressiveTransformer()));
        manual_seed(4);
        int[] lengths = { 22, 9, 17 };
        var sequences = lengths.Select(length => randint(0, 16, new long[] { 1, length })).ToArray();
        var alone = sequences.Select(s => OneTokenSegments(model, s)).ToArray();

        using var state = model.CreateState(lengths.Length);
        using var noGrad = no_grad();
        // Each row holds one sequence and how far it has read it; the second takes a token every third step only, so the
        // rows' memories fill and compress at different steps.
        var rows = lengths.Select((_, i) => (Sequence: i, Taken: 0)).ToArray();
        bool reordered = false;
        for (int step = 0; rows.Any(row => row.Taken < lengths[row.Sequence]); step++)
        {
            using var scope = NewDisposeScope();
            if (step == 12)
            {
                // Beam search keeps rows 2 and 0 (twice): row b continues what row order[b] held.
                long[] order = { 2, 0, 0 };
                state.Reorder(tensor(order));
                rows = order.Select(b => rows[b]).ToArray();
                reordered = true;
            }
            var takes = rows.Select((row, b) => row.Taken < lengths[row.Sequence] && (b != 1 || step % 3 == 0)).ToArray();
            var tokens = tensor(rows.Select((row, b) => takes[b] ? sequences[row.Sequence][0, row.Taken].item<long>() : 0L).ToArray());
            var logits = model.Step(state, tokens, tensor(takes));
            for (int b = 0; b < rows.Length; b++)
                if (takes[b])
                {
                    AssertClose(alone[rows[b].Sequence][rows[b].Taken], logits[b], $"row {b}, sequence {rows[b].Sequence}, position {rows[b].Taken}", tolerance: 1e-10);
                    rows[b].Taken++;
                }
        }
        Assert.True(reordered);
    }

    [Fact]
    public void The_state_has_a_fixed_size()
    {
        using var model = SegmentRecurrenceModelTests.Create(() => new TinyCompressiveTransformer());
        using var state = model.CreateState(1);
        using var noGrad = no_grad();
        var elements = new List<long>();
        for (int t = 0; t < Tokens; t++)
        {
            using var scope = NewDisposeScope();
            model.Step(state, tensor(new[] { (long)t % 16 }));
            elements.Add(state.Elements);
        }
        Assert.All(elements, count => Assert.Equal(elements[0], count));
        // Two layers, each a memory of 4 + 2 − 1 positions and 3 slots of 16 values with a flag each, and the position.
        Assert.Equal(2 * ((5 + 3) * 16 + 5 + 3) + 1, elements[0]);
    }

    [Fact]
    public void A_compressive_state_needs_the_compression_function()
    {
        using var state = new SegmentMemoryStepState(1, length: 4, compressedLength: 3, ratio: 2, dim: 16, CPU, float32);
        Assert.Throws<ArgumentNullException>(() => state.Push(zeros(1, 1, 16), null));
    }

    [Theory]
    [InlineData(40)]
    [InlineData(4)]   // shorter than prompt + continuation: the memories, not a window, are the context
    public void The_sampler_generates_by_stepping_over_the_memories(int contextLength)
    {
        using var model = SegmentRecurrenceModelTests.Create(() => new TinyCompressiveTransformer());
        long[] prompt = { 3, 1, 4, 1, 5, 9, 2, 6 };
        var generated = Sampler.Generate(model, prompt, new SamplingOptions { ContextLength = contextLength, MaxNewTokens = 10, Temperature = 0 });

        // Greedy by hand: one-token segments over the declared memories; 18 tokens compress 6 groups.
        using var memory = model.CreateMemory();
        Assert.Equal(SegmentRecurrenceStepTests.GreedyOneTokenSegments(model, memory, prompt, 10), generated);
    }
}
