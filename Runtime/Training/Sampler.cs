using TorchSharp;
using XformerDsl.Modules;
using static TorchSharp.torch;

namespace XformerDsl.Training;

/// <summary>How <see cref="Sampler"/> continues a prompt.</summary>
public sealed record SamplingOptions
{
    /// <summary>
    /// The longest context the model is given: the prompt plus generated tokens are cropped to their last this many.
    /// Pass the model's maximum length, or the length it was trained at if that is shorter (learned positions past
    /// it are untrained).
    /// </summary>
    public required int ContextLength { get; init; }

    /// <summary>Tokens to generate; the continuation has exactly this many.</summary>
    public int MaxNewTokens { get; init; } = 200;

    /// <summary>Softmax temperature; 0 means greedy (always the most likely token), higher is more random.</summary>
    public double Temperature { get; init; } = 0.8;

    /// <summary>Sample only among the this many most likely tokens; null or 0 means all of them.</summary>
    public int? TopK { get; init; } = 40;

    /// <summary>
    /// Seed of the draws: the same model, prompt, options and seed give the same continuation. Several samples should not
    /// share one seed (they would all take the same draws and look alike): give each its own with <see cref="ForSample"/>.
    /// </summary>
    public int Seed { get; init; }

    /// <summary>
    /// These options for the sample with zero-based index <paramref name="index"/> of a series: the seed is
    /// <see cref="Sampler.SampleSeed"/>(<see cref="Seed"/>, <paramref name="index"/>), so each sample gets its own draws
    /// and the series is reproducible from the one base seed.
    /// </summary>
    public SamplingOptions ForSample(int index) => this with { Seed = Sampler.SampleSeed(Seed, index) };
}

/// <summary>
/// Autoregressive generation from any language model <c>nn.Module&lt;Tensor, Tensor&gt;</c> mapping token ids
/// <c>[batch, seq]</c> to logits <c>[batch, seq, vocab]</c>.
/// </summary>
public static class Sampler
{
    /// <summary>
    /// Continues <paramref name="prompt"/> by <see cref="SamplingOptions.MaxNewTokens"/> tokens, one forward pass per token
    /// over the last <see cref="SamplingOptions.ContextLength"/> tokens, in evaluation mode without gradients (the model's
    /// mode is restored afterwards). A model that implements <see cref="IRecurrentLanguageModel"/> (every causal family
    /// that steps) is stepped instead, one token at a time from its state, whenever the prompt and the continuation fit
    /// in the context: the same logits without running the context again for every token. A segment-recurrent model
    /// (<see cref="ISegmentRecurrentModel"/>: Transformer-XL, the Compressive Transformer) is always stepped: its memory
    /// is its context, and cropping the text to a window would throw that memory away.
    /// </summary>
    /// <param name="model">The language model.</param>
    /// <param name="prompt">At least one token id.</param>
    /// <param name="options">Length, temperature, top-k, seed and context length.</param>
    /// <param name="onToken">Called with each new token as soon as it is chosen (for streaming output).</param>
    /// <returns>The generated tokens only, without the prompt.</returns>
    public static long[] Generate(nn.Module<Tensor, Tensor> model, ReadOnlySpan<long> prompt, SamplingOptions options, Action<long>? onToken = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (prompt.IsEmpty)
            throw new ArgumentException("The prompt needs at least one token.", nameof(prompt));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.ContextLength);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxNewTokens);
        if (!(options.Temperature >= 0) || double.IsInfinity(options.Temperature))
            throw new ArgumentOutOfRangeException(nameof(options), options.Temperature, "The temperature must be finite and not negative.");

        // A recurrent model carries its state from token to token instead of running the whole context again; while the
        // context fits without cropping, both give the same logits. A segment-recurrent model's steps go on past it.
        if (model is IRecurrentLanguageModel recurrent
            && (prompt.Length + options.MaxNewTokens <= options.ContextLength || model is ISegmentRecurrentModel))
            return GenerateRecurrent(model, recurrent, prompt, options, onToken);

        var device = model.parameters().FirstOrDefault()?.device ?? CPU;
        var tokens = new List<long>(prompt.Length + options.MaxNewTokens);
        tokens.AddRange(prompt);
        var generated = new long[options.MaxNewTokens];
        var random = new Random(options.Seed);
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = torch.no_grad();
            for (int i = 0; i < generated.Length; i++)
            {
                using var scope = NewDisposeScope();
                int start = Math.Max(0, tokens.Count - options.ContextLength);
                var context = torch.tensor(tokens.GetRange(start, tokens.Count - start).ToArray(), [1, tokens.Count - start], device: device);
                var logits = model.forward(context);
                if (logits.dim() != 3 || logits.shape[0] != 1 || logits.shape[1] != context.shape[1])
                    throw new InvalidOperationException($"The model returned logits of shape [{string.Join(", ", logits.shape)}] for input [1, {context.shape[1]}]; a language model returns [batch, seq, vocab].");
                var last = logits[0, -1].to(ScalarType.Float32).cpu().data<float>().ToArray();
                long next = ChooseToken(last, options.Temperature, options.TopK, random);
                generated[i] = next;
                tokens.Add(next);
                onToken?.Invoke(next);
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        return generated;
    }

    // One step per prompt token, then one per generated token.
    private static long[] GenerateRecurrent(nn.Module<Tensor, Tensor> model, IRecurrentLanguageModel recurrent, ReadOnlySpan<long> prompt,
        SamplingOptions options, Action<long>? onToken)
    {
        var device = model.parameters().FirstOrDefault()?.device ?? CPU;
        var generated = new long[options.MaxNewTokens];
        var random = new Random(options.Seed);
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = torch.no_grad();
            using var state = recurrent.CreateState(1);
            float[] Feed(long token)
            {
                using var scope = NewDisposeScope();
                var logits = recurrent.Step(state, torch.tensor(new[] { token }, device: device));
                return logits[0].to(ScalarType.Float32).cpu().data<float>().ToArray();
            }
            float[] last = [];
            foreach (long token in prompt)
                last = Feed(token);
            for (int i = 0; i < generated.Length; i++)
            {
                long next = ChooseToken(last, options.Temperature, options.TopK, random);
                generated[i] = next;
                onToken?.Invoke(next);
                if (i + 1 < generated.Length)
                    last = Feed(next);
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        return generated;
    }

    /// <summary>
    /// Greedy generation by <see cref="IRecurrentLanguageModel.Step"/> from token 0 for every sequence of a batch of
    /// <paramref name="batch"/>: feeds a token, takes the most likely next one, <paramref name="tokens"/> times, without
    /// gradients, keeping nothing but the state. What the generation benchmarks time: it returns the seconds the steps
    /// took (state creation excluded). <see cref="GreedySteps"/> does the same in pieces.
    /// </summary>
    public static double TimeGreedySteps(IRecurrentLanguageModel model, int batch, int tokens)
    {
        using var steps = new GreedySteps(model, batch);
        return steps.Advance(tokens);
    }

    /// <summary>
    /// The seed of sample <paramref name="index"/> in a series drawn from <paramref name="baseSeed"/>: a SplitMix64 mix of
    /// the pair, so neighbouring indices give unrelated seeds (two indices collide only as rarely as two random 32-bit seeds
    /// do), and the same on every run and platform.
    /// </summary>
    public static int SampleSeed(int baseSeed, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ulong z = ((ulong)(uint)baseSeed << 32 | (uint)index) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z ^ (z >> 32));
    }

    /// <summary>
    /// Picks the next token from one position's <paramref name="logits"/>: the argmax (lowest index on ties) when
    /// <paramref name="temperature"/> is 0; otherwise a draw from softmax(logits / temperature) restricted to the
    /// <paramref name="topK"/> largest logits (ties at the cut-off are kept).
    /// </summary>
    public static int ChooseToken(ReadOnlySpan<float> logits, double temperature, int? topK, Random random)
    {
        if (logits.IsEmpty)
            throw new ArgumentException("No logits to choose from.", nameof(logits));
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best]) best = i;
        }
        if (temperature == 0)
            return best;

        float threshold = float.NegativeInfinity;
        if (topK is > 0 && topK < logits.Length)
        {
            var sorted = logits.ToArray();
            Array.Sort(sorted);
            threshold = sorted[^topK.Value];
        }
        // Softmax relative to the maximum, in double, so no weight overflows.
        var weights = new double[logits.Length];
        double total = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            if (logits[i] >= threshold && !float.IsNaN(logits[i]))
            {
                weights[i] = Math.Exp((logits[i] - logits[best]) / temperature);
                total += weights[i];
            }
        }
        double draw = random.NextDouble() * total;
        for (int i = 0; i < weights.Length; i++)
        {
            draw -= weights[i];
            if (draw < 0 && weights[i] > 0) return i;
        }
        return best;   // only reached through rounding at the very top of the range
    }
}
