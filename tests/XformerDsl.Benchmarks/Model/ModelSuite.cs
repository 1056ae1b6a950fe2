using System.Globalization;
using System.Text.Json.Serialization;
using Spectre.Console;
using Spectre.Console.Rendering;
using TorchSharp;
using XformerDsl.Specs;
using static TorchSharp.torch;

namespace XformerDsl.Benchmarks;

/// <summary>
/// One row of the model suite's JSON: the fields other tools read, in this order. <paramref name="StepSpeedup"/>, written
/// only when the hand-written model ran too, is how many times faster this implementation's step was than the
/// hand-written one's: the median over the rounds of each round's ratio (<see cref="Measurement.MedianRatio"/>), steadier
/// on a drifting machine than the ratio of the two <paramref name="StepMs"/> medians.
/// </summary>
internal sealed record ModelResult(
    string Suite, string Family, string Impl, int Batch, int Seq, int Depth, int Dim, int Heads,
    double StepMs, double ForwardMs, double? PeakMemoryMb,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? StepSpeedup = null);

/// <summary>
/// The model suite: one training step (forward, cross-entropy, backward; no optimizer step) of a whole declared model
/// (impl <c>generated</c>) against the same architecture written by hand from TorchSharp modules and SDPA (impl
/// <c>handwritten</c>, <see cref="HandwrittenTransformer"/>), with the same weights: the suite first checks that both
/// give the same logits. Also the no-grad forward (inference) and the step's peak memory. Asked for by name
/// (<c>--impl generated,handwritten,no-attention</c>), impl <c>no-attention</c> is the hand-written model with attention
/// replaced by <c>q + k + v</c> (<see cref="HandwrittenTransformer.WithoutAttention"/>): what a step costs besides
/// attention, so that the table can say what attention costs inside each model.
/// </summary>
internal static class ModelSuite
{
    /// <summary>A family the suite can compare: its declared model, and the hand-written model with an SDPA equivalent.</summary>
    private sealed record Candidate(string Family, Func<nn.Module<Tensor, Tensor>> Declared, Func<ModelSpec, nn.Module<Tensor, Tensor>> Handwritten,
        Func<ModelSpec, nn.Module<Tensor, Tensor>> WithoutAttention);

    private static readonly Candidate[] s_candidates =
    [
        new("full", () => new ModelSuiteFull(), HandwrittenTransformer.For, HandwrittenTransformer.WithoutAttention),
    ];

    /// <summary>The impl of the model without attention, measured only when <c>--impl</c> names it.</summary>
    private const string NoAttention = "no-attention";

    /// <summary>
    /// The model suite's default of <c>--max-seconds</c>: long enough for every repetition asked for to happen. A round
    /// of both models at 4096 takes about 16 s here (an untimed and a timed step each), so the other suites' 20 s left
    /// two rounds of the five, and a median of two on a machine that drifts.
    /// </summary>
    public const double DefaultMaxSeconds = 600;

    /// <summary>The largest difference between the two models' logits that still counts as the same model (float32, 4 blocks).</summary>
    private const double Tolerance = 1e-3;

    /// <summary>The suite's line in the usage text.</summary>
    public static string Help { get; } =
        $"one training step (forward, cross-entropy, backward) of a whole declared model (--family {CommandLine.OneOf(s_candidates.Select(c => c.Family))}: " +
        "4 blocks, width 512, 8 heads of 64, feed-forward 2048, causal) against the same architecture written by hand with " +
        "TorchSharp modules and SDPA, same weights (impl generated, handwritten; and, when --impl names it, no-attention: the " +
        "hand-written model with attention replaced by q + k + v, to tell what attention costs inside each model)";

    public static List<ModelResult> Run(BenchmarkOptions o)
    {
        var candidate = s_candidates.FirstOrDefault(c => c.Family == o.Family)
            ?? throw new ArgumentException($"--family {o.Family}: the model suite compares {CommandLine.OneOf(s_candidates.Select(c => c.Family))} with a hand-written SDPA model.");
        manual_seed(0);
        using var declared = candidate.Declared();
        var spec = ((XformerDsl.Modules.IDeclaredModel)declared).Declaration;
        if (o.Seq.Any(seq => seq > spec.MaxLength))
            throw new ArgumentException($"--seq {string.Join(",", o.Seq)}: the model suite's models take up to {spec.MaxLength} tokens.");
        using var handwritten = candidate.Handwritten(spec);
        handwritten.load_state_dict(declared.state_dict());
        using var withoutAttention = candidate.WithoutAttention(spec);
        withoutAttention.load_state_dict(declared.state_dict());
        declared.train();
        handwritten.train();
        withoutAttention.train();
        var models = new List<(string Impl, nn.Module<Tensor, Tensor> Model)> { ("generated", declared), ("handwritten", handwritten), (NoAttention, withoutAttention) }
            .Where(m => o.Impl.Length == 0 ? m.Impl != NoAttention : o.Impl.Contains(m.Impl)).ToList();

        var results = new List<ModelResult>();
        foreach (int seq in o.Seq)
        {
            manual_seed(seq);
            using var tokens = randint(spec.Vocab, new long[] { o.Batch, seq }, dtype: int64);
            using var targets = tokens.roll(-1, 1);
            CheckSameLogits(declared, handwritten, tokens);
            AnsiConsole.MarkupLine($"[grey]seq {seq}: measuring {string.Join(", ", models.Select(m => m.Impl))}...[/]");

            Action Step(nn.Module<Tensor, Tensor> model) => () =>
            {
                using var scope = NewDisposeScope();
                model.zero_grad();
                var logits = model.call(tokens);
                nn.functional.cross_entropy(logits.reshape(-1, spec.Vocab), targets.reshape(-1)).backward();
            };
            Action Forward(nn.Module<Tensor, Tensor> model) => () =>
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                model.call(tokens);
            };
            var budget = o.Budget(DefaultMaxSeconds);
            var stepRounds = Measurement.Rounds(models.Select(m => Step(m.Model)).ToList(), Math.Max(1, o.Warmup), TimeSpan.Zero, o.Repetitions, budget);
            var forwards = Measurement.MedianMilliseconds(models.Select(m => Forward(m.Model)).ToList(), Math.Max(1, o.Warmup), TimeSpan.Zero, o.Repetitions, budget);
            int baseline = models.FindIndex(m => m.Impl == "handwritten");
            for (int i = 0; i < models.Count; i++)
            {
                var peak = Measurement.PeakMemoryMebibytes(Step(models[i].Model));
                double? speedup = baseline < 0 ? null : Math.Round(Measurement.MedianRatio(stepRounds[baseline], stepRounds[i]), 3);
                results.Add(new ModelResult("model", candidate.Family, models[i].Impl, o.Batch, seq, spec.Depth, spec.Dim,
                    spec.Attention[0].Attention.Heads, Round(Measurement.Median([.. stepRounds[i]])), Round(forwards[i]), peak is double p ? Round(p) : null,
                    speedup));
            }
        }
        return results;
    }

    // The comparison means nothing unless both models compute the same function with the same weights.
    private static void CheckSameLogits(nn.Module<Tensor, Tensor> declared, nn.Module<Tensor, Tensor> handwritten, Tensor tokens)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double difference = (declared.call(tokens) - handwritten.call(tokens)).abs().max().item<float>();
        if (!(difference <= Tolerance))
            throw new InvalidOperationException(
                $"The declared and the hand-written model disagree by {difference.ToString("g3", CultureInfo.InvariantCulture)} on tokens {string.Join("x", tokens.shape)} (tolerance {Tolerance}); the comparison would not be of the same model.");
    }

    private static double Round(double value) => Math.Round(value, 2);

    /// <summary>
    /// The results as a table, each step relative to the hand-written model's at the same length; where the model
    /// without attention ran too, a line per length with what attention took per layer inside each model.
    /// </summary>
    public static IRenderable Table(IReadOnlyList<ModelResult> results)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("seq").AddColumn("impl")
            .AddColumn(new TableColumn("step ms").RightAligned())
            .AddColumn(new TableColumn("forward ms").RightAligned())
            .AddColumn(new TableColumn("peak MiB").RightAligned())
            .AddColumn(new TableColumn("step vs handwritten").RightAligned())
            .AddColumn(new TableColumn("per round").RightAligned());
        foreach (var result in results)
        {
            var baseline = results.FirstOrDefault(r => r.Seq == result.Seq && r.Impl == "handwritten");
            table.AddRow(result.Seq.ToString(CultureInfo.InvariantCulture), result.Impl,
                result.StepMs.ToString("0.0", CultureInfo.InvariantCulture), result.ForwardMs.ToString("0.0", CultureInfo.InvariantCulture),
                result.PeakMemoryMb?.ToString("0.0", CultureInfo.InvariantCulture) ?? "n/a",
                baseline is null ? "" : result.Impl == "handwritten" ? "baseline" : Measurement.Ratio(result.StepMs, baseline.StepMs),
                result.StepSpeedup is not double speedup || result.Impl == "handwritten" ? "" : Measurement.Ratio(1, speedup));
        }
        var lines = results.GroupBy(r => r.Seq).Select(AttentionPerLayer).OfType<string>().Select(line => new Markup(Markup.Escape(line)));
        return new Rows([table, .. lines]);
    }

    // Each model's step less the step without attention, over the depth: attention inside that model (its projections
    // excluded, which the model without attention keeps), from the medians of one run.
    private static string? AttentionPerLayer(IEnumerable<ModelResult> atOneLength)
    {
        var byImpl = atOneLength.ToDictionary(r => r.Impl);
        if (!byImpl.TryGetValue(NoAttention, out var frame))
            return null;
        var parts = new[] { "generated", "handwritten" }.Where(byImpl.ContainsKey)
            .Select(impl => $"{impl} {Number((byImpl[impl].StepMs - frame.StepMs) / frame.Depth)} ms");
        return $"seq {frame.Seq}: attention per layer, the step less the step without attention ({Number(frame.StepMs)} ms) over {frame.Depth} layers: {string.Join(", ", parts)}";
    }

    private static string Number(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);
}
