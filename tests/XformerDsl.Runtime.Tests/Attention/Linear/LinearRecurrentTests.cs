using TorchSharp;
using XformerDsl.Modules;
using XformerDsl.Training;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Attention.Linear;

/// <summary>
/// The recurrent stepping API of causal linear attention models against their parallel forward pass: token by token at
/// several lengths, in a batch of sequences of different lengths, with a state that does not grow, and in the sampler.
/// </summary>
public class LinearRecurrentTests
{
    private static (nn.Module<Tensor, Tensor> Model, IRecurrentLanguageModel Recurrent) Create(string name)
    {
        torch.manual_seed(7);
        nn.Module<Tensor, Tensor> model = name switch
        {
            nameof(TinyLinearElu) => new TinyLinearElu(),
            nameof(TinyPerformer) => new TinyPerformer(),
            nameof(TinyT2R) => new TinyT2R(),
            nameof(TinyLinearSinusoidalPostNorm) => new TinyLinearSinusoidalPostNorm(),
            _ => throw new ArgumentException(name),
        };
        model.to(float64);
        model.eval();
        return (model, (IRecurrentLanguageModel)model);
    }

    private static Tensor Tokens(long batch, long seq, int seed) =>
        randint(16, new[] { batch, seq }, dtype: int64, generator: new Generator((ulong)seed));

    [Theory]
    [InlineData(nameof(TinyLinearElu), 1)]
    [InlineData(nameof(TinyLinearElu), 40)]
    [InlineData(nameof(TinyPerformer), 23)]
    [InlineData(nameof(TinyT2R), 17)]
    [InlineData(nameof(TinyLinearSinusoidalPostNorm), 9)]
    public void Stepping_token_by_token_equals_the_parallel_forward(string name, int length)
    {
        var (model, recurrent) = Create(name);
        using var scope = NewDisposeScope();
        var tokens = Tokens(2, length, seed: length);
        var parallel = model.call(tokens);

        using var state = recurrent.CreateState(2);
        for (int position = 0; position < length; position++)
        {
            var logits = recurrent.Step(state, tokens[.., position]);
            Assert.Equal(new long[] { 2, 16 }, logits.shape);
            Assert.True(logits.allclose(parallel[.., position], rtol: 1e-9, atol: 1e-10),
                $"position {position}: largest difference {(logits - parallel[.., position]).abs().max().item<double>():E2}");
        }
    }

    [Fact]
    public void A_batch_of_sequences_of_different_lengths_steps_each_as_if_alone()
    {
        var (model, recurrent) = Create(nameof(TinyT2R));
        using var scope = NewDisposeScope();
        int[] lengths = { 5, 12, 1, 9 };
        var sequences = lengths.Select((length, i) => Tokens(1, length, seed: 30 + i)).ToArray();
        var alone = sequences.Select(s => model.call(s)[0]).ToArray();

        // Each sequence starts at step (12 - its length) and is inactive before, so their positions differ at every step.
        using var state = recurrent.CreateState(lengths.Length);
        int steps = lengths.Max();
        for (int step = 0; step < steps; step++)
        {
            var active = tensor(lengths.Select(length => step >= steps - length).ToArray());
            var tokens = tensor(lengths.Select((length, i) => step >= steps - length ? sequences[i][0, step - (steps - length)].item<long>() : 0L).ToArray());
            var logits = recurrent.Step(state, tokens, active);
            for (int i = 0; i < lengths.Length; i++)
            {
                int position = step - (steps - lengths[i]);
                if (position >= 0)
                    Assert.True(logits[i].allclose(alone[i][position], rtol: 1e-9, atol: 1e-10), $"sequence {i}, position {position}");
            }
        }
        Assert.Equal(lengths.Select(l => (long)l), state.Positions.data<long>().ToArray());
    }

    [Theory]
    [InlineData(ScalarType.Float32, 1e-5)]
    [InlineData(ScalarType.Float64, 1e-12)]
    public void The_in_place_step_without_gradients_equals_the_step_composed_from_operations(ScalarType dtype, double tolerance)
    {
        // Inputs that require gradients take the composed path; the same inputs detached take the in-place loop. Features
        // are ReLUs with whole rows of zeros, so some queries see a zero normaliser; a sequence sits out every third step;
        // values are a head-split view, as a projection leaves them.
        using var scope = NewDisposeScope();
        const int batch = 2, heads = 3, features = 5, headDim = 7;
        var generator = new Generator(21);
        using var composed = new XformerDsl.Attention.Linear.LinearAttentionState(batch, heads, features, headDim, CPU, dtype);
        using var inPlace = new XformerDsl.Attention.Linear.LinearAttentionState(batch, heads, features, headDim, CPU, dtype);
        for (int step = 0; step < 12; step++)
        {
            var featureQuery = randn(new long[] { batch, heads, 1, features }, dtype, generator: generator).relu();
            var featureKey = randn(new long[] { batch, heads, 1, features }, dtype, generator: generator).relu();
            if (step % 4 == 0)
                featureKey[0].zero_();
            var value = randn(new long[] { batch, 1, heads, headDim }, dtype, generator: generator).transpose(1, 2);
            var active = tensor(new[] { step % 3 != 2, true });
            var expected = composed.Step(featureQuery.requires_grad_(), featureKey.requires_grad_(), value.requires_grad_(), active);
            var actual = inPlace.Step(featureQuery.detach(), featureKey.detach(), value.detach(), active);
            Assert.Equal(expected.shape, actual.shape);
            Assert.True(actual.allclose(expected.detach(), rtol: 0, atol: tolerance), $"step {step}: {(actual - expected).abs().max().to(float64).item<double>()}");
        }
        Assert.True(inPlace.Sums.allclose(composed.Sums, rtol: 0, atol: tolerance));
        Assert.True(inPlace.Normaliser.allclose(composed.Normaliser, rtol: 0, atol: tolerance));
    }

    [Fact]
    public void The_state_does_not_grow_with_the_position_and_stops_at_MaxLength()
    {
        var (_, recurrent) = Create(nameof(TinyLinearElu));
        using var scope = NewDisposeScope();
        using var state = recurrent.CreateState(1);
        var token = tensor(new long[] { 3 });
        recurrent.Step(state, token);
        long afterOne = state.Elements;
        for (int i = 1; i < 40; i++)
            recurrent.Step(state, token);
        Assert.Equal(afterOne, state.Elements);

        var error = Assert.Throws<ArgumentException>(() => recurrent.Step(state, token));
        Assert.Contains("MaxLength = 40", error.Message);
        var shape = Assert.Throws<ArgumentException>(() => recurrent.Step(state, tensor(new long[] { 1, 2 })));
        Assert.Contains("[batch] = [1]", shape.Message);
    }

    [Fact]
    public void The_sampler_steps_a_recurrent_model_and_chooses_what_the_windowed_forward_chooses()
    {
        var (model, recurrent) = Create(nameof(TinyPerformer));
        Assert.NotNull(recurrent);
        long[] prompt = { 1, 2, 3 };
        var options = new SamplingOptions { ContextLength = 40, MaxNewTokens = 12, Temperature = 0 };

        var stepped = Sampler.Generate(model, prompt, options);

        // The same greedy continuation, one full forward pass per token.
        var tokens = prompt.ToList();
        using (no_grad())
        {
            for (int i = 0; i < options.MaxNewTokens; i++)
            {
                using var scope = NewDisposeScope();
                var logits = model.call(tensor(tokens.ToArray()).unsqueeze(0));
                tokens.Add(logits[0, -1].argmax().item<long>());
            }
        }
        Assert.Equal(tokens.Skip(prompt.Length), stepped);
    }
}
