using TorchSharp;
using XformerDsl.Modules;
using Xunit;
using static TorchSharp.torch;
using static XformerDsl.Tests.Attention.AttentionKernelKit;

namespace XformerDsl.Tests.Attention.Recurrence;

/// <summary>
/// Generated Transformer-XL models: a segment with the previous one as memory equals the model over both segments
/// (logits, and the gradients of the segment's own token embeddings); the memory passes no gradient back to earlier
/// segments; the memory's bookkeeping over several segments; causality with memory; a longer evaluation memory;
/// generation in one-token segments; errors.
/// </summary>
public class SegmentRecurrenceModelTests
{
    // A model in float64 and eval mode, its weights drawn from seed 7.
    internal static T Create<T>(Func<T> create) where T : nn.Module
    {
        manual_seed(7);
        var model = create();
        model.to(float64);
        model.eval();
        return model;
    }

    // Tokens 0–7 in the first segment and 8–15 in the second, so each segment's embedding rows are its own.
    private static (Tensor First, Tensor Second) Segments(int first, int second, int seed)
    {
        manual_seed(seed);
        return (randint(0, 8, new long[] { 2, first }), randint(8, 16, new long[] { 2, second }));
    }

    [Fact]
    public void A_segment_with_memory_equals_the_model_over_both_segments_in_values_and_segment_gradients()
    {
        using var model = Create(() => new TinyTransformerXl());
        var (first, second) = Segments(5, 6, seed: 1);
        var upstream = randn(2, 6, 16, dtype: float64);

        model.zero_grad();
        var whole = model.forward(cat(new[] { first, second }, 1))[.., 5..];
        (whole * upstream).sum().backward();
        var wholeGradient = model.get_parameter("token_embedding.weight")!.grad!.clone();

        model.zero_grad();
        using var memory = model.CreateMemory();
        using (no_grad())
            model.forward(first, null, memory);
        var withMemory = model.forward(second, null, memory);
        (withMemory * upstream).sum().backward();
        var gradient = model.get_parameter("token_embedding.weight")!.grad!;

        AssertClose(whole, withMemory, "logits of the second segment", tolerance: 1e-10);
        AssertClose(wholeGradient[8..], gradient[8..], "gradients of the second segment's token embeddings", tolerance: 1e-10);
    }

    [Fact]
    public void No_gradient_reaches_the_earlier_segment_through_the_memory()
    {
        using var model = Create(() => new TinyTransformerXl());
        model.train(false);
        var (first, second) = Segments(6, 6, seed: 2);
        using var memory = model.CreateMemory();
        model.forward(first, null, memory);                       // with gradients on: the memory must still be detached
        Assert.All(Enumerable.Range(0, 2), layer => Assert.False(memory[layer]!.requires_grad));

        model.zero_grad();
        model.forward(second, null, memory).sum().backward();
        var gradient = model.get_parameter("token_embedding.weight")!.grad!;
        Assert.Equal(0.0, gradient[..8].abs().max().item<double>());
        Assert.True(gradient[8..].abs().max().item<double>() > 0, "the second segment's own embeddings get gradients");
    }

    [Fact]
    public void Memory_keeps_the_last_Memory_inputs_of_each_layer_over_several_segments()
    {
        using var model = Create(() => new TinyTransformerXl());
        manual_seed(3);
        var stream = randint(0, 16, new long[] { 1, 15 });
        using var memory = model.CreateMemory();
        foreach (var (start, length) in new[] { (0, 5), (5, 6), (11, 4) })
            model.forward(stream[.., start..(start + length)], null, memory);

        // Layer 0's input is the token embedding (no absolute positions): the memory holds positions 7–14's.
        Assert.Equal(8, memory.Positions);
        var embedded = model.get_parameter("token_embedding.weight")!.index_select(0, stream[0, 7..]);
        AssertClose(embedded.unsqueeze(0), memory[0]!, "layer 0's memory", tolerance: 1e-12);
        memory.Reset();
        Assert.Null(memory[1]);
    }

    [Fact]
    public void Later_tokens_of_a_segment_leave_earlier_logits_unchanged_with_memory()
    {
        using var model = Create(() => new TinySameLengthXl());
        var (first, second) = Segments(7, 8, seed: 4);
        var changed = second.clone();
        changed[.., 5..] = (changed[.., 5..] + 1) % 16;
        Tensor Run(Tensor segment)
        {
            using var memory = model.CreateMemory();
            model.forward(first, null, memory);
            return model.forward(segment, null, memory);
        }
        var before = Run(second);
        var after = Run(changed);
        Assert.True(before[.., ..5].eq(after[.., ..5]).all().item<bool>(), "logits before position 5 changed");
        Assert.False(before[.., 5..].eq(after[.., 5..]).all().item<bool>());
    }

    [Fact]
    public void Evaluation_may_keep_a_longer_memory_than_declared()
    {
        // Memory 12 where 8 is declared: 12 positions read as one segment, or as two of 6 (the second attending to the
        // first through the memory), leave the same memory, and the next segment gets the same logits from either.
        using var model = Create(() => new TinyTransformerXl());
        manual_seed(5);
        var stream = randint(0, 16, new long[] { 1, 18 });
        using var once = model.CreateMemory(length: 12);
        model.forward(stream[.., ..12], null, once);
        using var twice = model.CreateMemory(length: 12);
        model.forward(stream[.., ..6], null, twice);
        model.forward(stream[.., 6..12], null, twice);

        Assert.Equal(12, once.Positions);
        AssertClose(once[1]!, twice[1]!, "layer 1's memory", tolerance: 1e-10);
        AssertClose(model.forward(stream[.., 12..], null, once), model.forward(stream[.., 12..], null, twice), "logits after a memory of 12", tolerance: 1e-10);
    }

    [Fact]
    public void Generating_one_token_segments_with_the_memory_equals_the_forward_over_the_whole_sequence()
    {
        // Token by token, each a segment of 1 over a memory that keeps every earlier position: the logits at each position
        // are the model's over the whole sequence, so generation keeps the per-layer memory as its only state.
        using var model = Create(() => new TinyTransformerXl());
        manual_seed(6);
        var tokens = randint(0, 16, new long[] { 2, 10 });
        var whole = model.forward(tokens);
        using var memory = model.CreateMemory(length: 10);
        var stepped = cat(Enumerable.Range(0, 10).Select(t => model.forward(tokens[.., t..(t + 1)], null, memory)).ToArray(), 1);
        AssertClose(whole, stepped, "logits token by token", tolerance: 1e-10);
    }

    [Fact]
    public void A_memory_of_another_model_or_batch_is_refused_with_the_fix()
    {
        using var model = Create(() => new TinyTransformerXl());
        using var wrongDepth = new SegmentMemory(layers: 3, length: 8);
        var error = Assert.Throws<ArgumentException>(() => model.forward(randint(0, 16, new long[] { 1, 4 }), null, wrongDepth));
        Assert.Contains("CreateMemory", error.Message);

        using var memory = model.CreateMemory();
        model.forward(randint(0, 16, new long[] { 2, 4 }), null, memory);
        error = Assert.Throws<ArgumentException>(() => model.forward(randint(0, 16, new long[] { 3, 4 }), null, memory));
        Assert.Contains("Reset", error.Message);
    }
}
