using System.Globalization;
using System.Text.Json.Serialization;
using Spectre.Console;
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
/// give the same logits. Also the no-grad forward (inference) and the step's peak memory.
/// </summary>
internal static class ModelSuite
{
    /// <summary>A family the suite can compare: its declared model, and the hand-written model with an SDPA equivalent.</summary>
    private sealed record Candidate(string Family, Func<nn.Module<Tensor, Tensor>> Declared, Func<ModelSpec, nn.Module<Tensor, Tensor>> Handwritten);

    private static readonly Candidate[] s_candidates =
    [
        new("full", () => new ModelSuiteFull(), HandwrittenTransformer.For),
    ];

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
        "TorchSharp modules and SDPA, same weights (impl generated, handwritten)";

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
        declared.train();
        handwritten.train();
        var models = new List<(string Impl, nn.Module<Tensor, Tensor> Model)> { ("generated", declared), ("handwritten", handwritten) }
            .Where(m => o.Impl.Length == 0 || o.Impl.Contains(m.Impl)).ToList();

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

    /// <summary>The results as a table, each step relative to the hand-written model's at the same length.</summary>
    public static Table Table(IReadOnlyList<ModelResult> results)
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
        return table;
    }
}
