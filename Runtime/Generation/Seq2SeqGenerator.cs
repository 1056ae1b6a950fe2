using TorchSharp;
using XformerDsl.Modules;
using XformerDsl.Training;
using static TorchSharp.torch;

namespace XformerDsl.Generation;

/// <summary>How <see cref="Seq2SeqGenerator"/> decodes. Immutable; derive variants with <c>with</c>.</summary>
public sealed record GenerationOptions
{
    /// <summary>The BOS id (the decoder's first input), the EOS id (where a sequence ends) and the PAD id (source padding).</summary>
    public required SpecialTokens Tokens { get; init; }

    /// <summary>
    /// Most tokens to generate per sequence, EOS included: a sequence that has not ended by then is returned unfinished.
    /// At most the decoder's MaxLength (each generated token takes one decoder position).
    /// </summary>
    public int MaxLength { get; init; } = 64;

    /// <summary>Beam width of <see cref="Seq2SeqGenerator.BeamSearch"/>; 1 is greedy decoding. Not used by <see cref="Seq2SeqGenerator.Greedy"/>.</summary>
    public int Beams { get; init; } = 4;

    /// <summary>
    /// α of the length penalty (fairseq, Hugging Face): hypotheses are ranked by log-probability / length^α, the length
    /// counting generated tokens with EOS. 0 ranks by log-probability alone (favouring short outputs); 1 by the mean per
    /// token; above 1 favours longer outputs further.
    /// </summary>
    public double LengthPenalty { get; init; } = 1.0;

    /// <summary>
    /// Beam search stops for a source once it has <see cref="Beams"/> finished hypotheses (true), or only once no running
    /// beam could still score better than the worst of them (false; slower, possibly better).
    /// </summary>
    public bool EarlyStopping { get; init; } = true;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Tokens, nameof(Tokens));
        if (MaxLength < 1)
            throw new ArgumentException($"{nameof(MaxLength)} = {MaxLength} is out of range: must be positive.", nameof(MaxLength));
        if (Beams < 1)
            throw new ArgumentException($"{nameof(Beams)} = {Beams} is out of range: must be positive (1 is greedy decoding).", nameof(Beams));
        if (!double.IsFinite(LengthPenalty))
            throw new ArgumentException($"{nameof(LengthPenalty)} = {LengthPenalty} is out of range: must be finite.", nameof(LengthPenalty));
    }
}

/// <summary>A generated target sequence.</summary>
/// <param name="Tokens">The generated ids, without BOS and without the final EOS.</param>
/// <param name="LogProbability">The sum of the log-probabilities of the generated tokens, EOS included when <paramref name="Finished"/>.</param>
/// <param name="Score">
/// <paramref name="LogProbability"/> / length^<see cref="GenerationOptions.LengthPenalty"/>, the length counting EOS when
/// <paramref name="Finished"/>: what beam search ranks by.
/// </param>
/// <param name="Finished">Whether the sequence ended with EOS (false: it reached <see cref="GenerationOptions.MaxLength"/>).</param>
public sealed record GeneratedSequence(long[] Tokens, double LogProbability, double Score, bool Finished);

/// <summary>
/// Decodes target sequences from an <see cref="IEncoderDecoderModel"/>: greedy decoding and beam search over a batch of
/// sources of different lengths (padded with <see cref="SpecialTokens.Pad"/>). The source is encoded once, the decoder state
/// created from it once, and the decoder stepped one token at a time; beam search reorders the state when it selects beams.
/// Runs without gradients, in evaluation mode (the model's mode is restored).
/// </summary>
public static class Seq2SeqGenerator
{
    /// <summary>Greedy decoding: at each step the most likely token, until EOS or <see cref="GenerationOptions.MaxLength"/>.</summary>
    /// <param name="model">The encoder–decoder.</param>
    /// <param name="sources">Source ids, one array per sequence (without special tokens), of any lengths the encoder accepts.</param>
    /// <param name="options">Special tokens, maximum length and the length penalty of the reported score.</param>
    /// <returns>One sequence per source, in order.</returns>
    /// <exception cref="ArgumentException">An option is out of range, or a source is empty or too long.</exception>
    public static IReadOnlyList<GeneratedSequence> Greedy(IEncoderDecoderModel model, IReadOnlyList<long[]> sources, GenerationOptions options)
    {
        Check(model, sources, options);
        return Inference(model, () =>
        {
            int batch = sources.Count;
            var device = DeviceOf(model);
            var tokens = Enumerable.Range(0, batch).Select(_ => new List<long>()).ToArray();
            var logProbabilities = new double[batch];
            var finished = new bool[batch];
            using var state = CreateState(model, sources, options, beams: 1, device);
            var next = Enumerable.Repeat((long)options.Tokens.Bos, batch).ToArray();
            for (int t = 0; t < options.MaxLength && finished.Contains(false); t++)
            {
                using var scope = NewDisposeScope();
                var active = finished.Contains(true) ? torch.tensor(finished.Select(f => !f).ToArray(), device: device) : null;
                var logits = model.Step(state, torch.tensor(next, device: device), active);
                var logp = LogProbabilities(logits, batch);
                var best = logp.argmax(1).cpu().data<long>().ToArray();
                var chosen = logp.gather(1, torch.tensor(best, device: logp.device).unsqueeze(1)).cpu().data<double>().ToArray();
                for (int b = 0; b < batch; b++)
                {
                    if (finished[b]) continue;
                    logProbabilities[b] += chosen[b];
                    if (best[b] == options.Tokens.Eos)
                        finished[b] = true;
                    else
                        tokens[b].Add(best[b]);
                    next[b] = best[b];
                }
            }
            return (IReadOnlyList<GeneratedSequence>)Enumerable.Range(0, batch)
                .Select(b => Sequence(tokens[b], logProbabilities[b], finished[b], options.LengthPenalty)).ToArray();
        });
    }

    /// <summary>
    /// Beam search with <see cref="GenerationOptions.Beams"/> beams per source: at each step every beam's continuations are
    /// scored by their total log-probability, the best <c>2 · beams</c> are considered, those ending in EOS (among the first
    /// <c>beams</c>) become finished hypotheses ranked by log-probability / length^α, and the best <c>beams</c> others continue.
    /// A source is done when <see cref="GenerationOptions.EarlyStopping"/> says so; at
    /// <see cref="GenerationOptions.MaxLength"/> the running beams join the hypotheses unfinished. With one beam it equals
    /// <see cref="Greedy"/>.
    /// </summary>
    /// <param name="model">The encoder–decoder.</param>
    /// <param name="sources">Source ids, one array per sequence (without special tokens), of any lengths the encoder accepts.</param>
    /// <param name="options">Special tokens, beams, length penalty, early stopping and maximum length.</param>
    /// <returns>The best-scoring hypothesis per source, in order.</returns>
    /// <exception cref="ArgumentException">An option is out of range, or a source is empty or too long.</exception>
    public static IReadOnlyList<GeneratedSequence> BeamSearch(IEncoderDecoderModel model, IReadOnlyList<long[]> sources, GenerationOptions options)
    {
        Check(model, sources, options);
        return Inference(model, () =>
        {
            int batch = sources.Count, beams = options.Beams, rows = batch * beams;
            double alpha = options.LengthPenalty;
            var device = DeviceOf(model);
            var hypotheses = Enumerable.Range(0, batch).Select(_ => new List<GeneratedSequence>()).ToArray();
            var done = new bool[batch];
            var beamTokens = Enumerable.Range(0, rows).Select(_ => new List<long>()).ToArray();
            // Only each source's first beam is live at the start (all beams are the same BOS), so the first step expands it alone.
            var scores = Enumerable.Range(0, rows).Select(r => r % beams == 0 ? 0.0 : double.NegativeInfinity).ToArray();
            var next = Enumerable.Repeat((long)options.Tokens.Bos, rows).ToArray();
            using var state = CreateState(model, sources, options, beams, device);

            void AddHypothesis(int b, GeneratedSequence hypothesis)
            {
                var kept = hypotheses[b];
                kept.Add(hypothesis);
                if (kept.Count > beams)
                    kept.Remove(kept.MinBy(h => h.Score)!);
            }

            for (int t = 0; t < options.MaxLength && done.Contains(false); t++)
            {
                using var scope = NewDisposeScope();
                var active = done.Contains(true) ? torch.tensor(Enumerable.Range(0, rows).Select(r => !done[r / beams]).ToArray(), device: device) : null;
                var logits = model.Step(state, torch.tensor(next, device: device), active);
                var logp = LogProbabilities(logits, rows);
                long vocab = logp.shape[1];
                var candidates = (torch.tensor(scores, device: logp.device).unsqueeze(1) + logp).view(batch, beams * vocab);
                int take = (int)Math.Min(2L * beams, beams * vocab);
                var (topScores, topIndices) = candidates.topk(take, dim: 1);
                var values = topScores.cpu().data<double>().ToArray();
                var indices = topIndices.cpu().data<long>().ToArray();

                var order = new long[rows];
                var chosenTokens = new long[rows];
                var chosenScores = new double[rows];
                for (int b = 0; b < batch; b++)
                {
                    int filled = 0;
                    if (!done[b])
                    {
                        for (int j = 0; j < take && filled < beams; j++)
                        {
                            double score = values[b * take + j];
                            if (double.IsNegativeInfinity(score)) break;
                            long index = indices[b * take + j];
                            int source = b * beams + (int)(index / vocab);
                            long token = index % vocab;
                            if (token == options.Tokens.Eos)
                            {
                                // An EOS below the first `beams` candidates is not better than the beams kept running.
                                if (j < beams)
                                    AddHypothesis(b, Sequence(beamTokens[source], score, finished: true, alpha));
                                continue;
                            }
                            order[b * beams + filled] = source;
                            chosenTokens[b * beams + filled] = token;
                            chosenScores[b * beams + filled] = score;
                            filled++;
                        }
                        done[b] = IsDone(hypotheses[b], beams, filled > 0 ? chosenScores[b * beams] : double.NegativeInfinity, t, options);
                    }
                    // Rows of a finished source, and any the candidates did not fill, stay where they are with no score.
                    for (int k = filled; k < beams; k++)
                    {
                        order[b * beams + k] = b * beams + k;
                        chosenTokens[b * beams + k] = options.Tokens.Pad;
                        chosenScores[b * beams + k] = double.NegativeInfinity;
                    }
                }

                state.Reorder(torch.tensor(order, device: device));
                beamTokens = order.Select((source, r) =>
                    double.IsNegativeInfinity(chosenScores[r]) ? beamTokens[source] : [.. beamTokens[source], chosenTokens[r]]).ToArray();
                scores = chosenScores;
                next = chosenTokens;
            }
            // Sources still running at the maximum length keep their running beams, unfinished.
            for (int b = 0; b < batch; b++)
            {
                if (done[b]) continue;
                for (int k = 0; k < beams; k++)
                    if (!double.IsNegativeInfinity(scores[b * beams + k]))
                        AddHypothesis(b, Sequence(beamTokens[b * beams + k], scores[b * beams + k], finished: false, alpha));
            }
            return (IReadOnlyList<GeneratedSequence>)hypotheses.Select(h => h.MaxBy(x => x.Score)!).ToArray();
        });
    }

    /// <summary>
    /// Whether a source's search is over: it has <paramref name="beams"/> finished hypotheses and either early stopping is on
    /// or the best running beam (total <paramref name="bestRunning"/> after step <paramref name="t"/>) cannot beat the worst of
    /// them at any length it could still reach.
    /// </summary>
    private static bool IsDone(List<GeneratedSequence> hypotheses, int beams, double bestRunning, int t, GenerationOptions options)
    {
        if (hypotheses.Count < beams) return false;
        if (options.EarlyStopping || double.IsNegativeInfinity(bestRunning)) return true;
        // Log-probabilities only fall, so with α > 0 the most favourable length is the longest, otherwise the shortest (+ EOS).
        double length = options.LengthPenalty > 0 ? options.MaxLength : t + 2;
        double bestPossible = bestRunning / Math.Pow(length, options.LengthPenalty);
        return hypotheses.Min(h => h.Score) >= bestPossible;
    }

    private static GeneratedSequence Sequence(IReadOnlyList<long> tokens, double logProbability, bool finished, double alpha)
    {
        int length = tokens.Count + (finished ? 1 : 0);
        return new GeneratedSequence([.. tokens], logProbability, logProbability / Math.Pow(Math.Max(length, 1), alpha), finished);
    }

    /// <summary>Log-softmax in float64, so scores add up the same way in greedy decoding and beam search.</summary>
    private static Tensor LogProbabilities(Tensor logits, int rows)
    {
        if (logits.dim() != 2 || logits.shape[0] != rows)
            throw new InvalidOperationException($"The model's Step must return logits [batch, targetVocab] with batch = {rows}; it returned {ModelInputs.Shape(logits)}.");
        return torch.nn.functional.log_softmax(logits.to(ScalarType.Float64), 1);
    }

    /// <summary>Pads the sources, encodes them once, repeats each <paramref name="beams"/> times and creates the decoder state.</summary>
    private static DecoderState CreateState(IEncoderDecoderModel model, IReadOnlyList<long[]> sources, GenerationOptions options, int beams, Device device)
    {
        using var scope = NewDisposeScope();
        int longest = sources.Max(s => s.Length);
        var ids = new long[sources.Count * longest];
        var mask = new bool[ids.Length];
        Array.Fill(ids, options.Tokens.Pad);
        for (int b = 0; b < sources.Count; b++)
        {
            sources[b].CopyTo(ids.AsSpan(b * longest));
            mask.AsSpan(b * longest, sources[b].Length).Fill(true);
        }
        long[] shape = [sources.Count, longest];
        using var encoded = model.Encode(torch.tensor(ids, shape, device: device), torch.tensor(mask, shape, device: device));
        if (beams == 1)
            return model.CreateDecoderState(encoded);
        using var repeated = encoded.RepeatInterleave(beams);
        return model.CreateDecoderState(repeated);
    }

    private static void Check(IEncoderDecoderModel model, IReadOnlyList<long[]> sources, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var spec = model.Declaration;
        options.Tokens.Validate(spec.Vocab);
        if (spec.Encoder is { } encoder && options.Tokens.Pad >= encoder.Vocab)
            throw new ArgumentException(
                $"{nameof(SpecialTokens)}.{nameof(SpecialTokens.Pad)} = {options.Tokens.Pad} is out of range: sources are padded with it, and {spec.Name}'s source vocabulary is [0, {encoder.Vocab}).",
                nameof(options));
        if (options.MaxLength > spec.MaxLength)
            throw new ArgumentException(
                $"{nameof(GenerationOptions)}.{nameof(GenerationOptions.MaxLength)} = {options.MaxLength} is out of range: each generated token takes a decoder position, and {spec.Name}'s decoder has MaxLength = {spec.MaxLength}. Generate at most {spec.MaxLength} tokens.",
                nameof(options));
        if (sources.Count == 0)
            throw new ArgumentException("There are no sources to decode; give at least one.", nameof(sources));
        int sourceMaxLength = spec.Encoder?.MaxLength ?? int.MaxValue;
        for (int i = 0; i < sources.Count; i++)
        {
            int length = sources[i]?.Length ?? 0;
            if (length == 0 || length > sourceMaxLength)
                throw new ArgumentException($"Source {i} has {length} tokens, but the encoder takes 1 to MaxLength = {sourceMaxLength}.", nameof(sources));
        }
    }

    private static Device DeviceOf(IEncoderDecoderModel model) =>
        model is nn.Module module && module.parameters().FirstOrDefault() is { } parameter ? parameter.device : CPU;

    /// <summary>Runs <paramref name="decode"/> without gradients in evaluation mode, restoring the model's mode.</summary>
    private static T Inference<T>(IEncoderDecoderModel model, Func<T> decode)
    {
        var module = model as nn.Module;
        bool wasTraining = module?.training ?? false;
        module?.eval();
        try
        {
            using var _ = torch.no_grad();
            return decode();
        }
        finally
        {
            module?.train(wasTraining);
        }
    }
}
