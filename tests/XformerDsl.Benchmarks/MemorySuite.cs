using System.Globalization;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace XformerDsl.Benchmarks;

/// <summary>One row of the memory suite's JSON: the fields other tools read, in this order.</summary>
internal sealed record MemoryResult(
    string Suite, string Family, string Impl, int Seq, int Depth, bool Reversible, double? PeakMemoryMb, double? StepMs);

/// <summary>
/// The memory suite: the peak memory and median time of one training step (forward, cross-entropy, backward) of a
/// whole generated model, at depth 2 and 12, with plain and with reversible blocks (see MemoryModels.cs).
/// Reversible blocks should make the peak nearly independent of depth.
/// </summary>
internal static class MemorySuite
{
    private sealed record Model(int Depth, bool Reversible, Func<nn.Module<Tensor, Tensor>> Create);

    private static readonly Model[] s_models =
    [
        new(2, false, () => new MemoryPlain2()),
        new(12, false, () => new MemoryPlain12()),
        new(2, true, () => new MemoryReversible2()),
        new(12, true, () => new MemoryReversible12()),
    ];

    /// <summary>Sequence lengths when --seq is not given.</summary>
    public static readonly int[] DefaultSeq = [8192];

    /// <summary>The suite's line in the usage text.</summary>
    public static string Help { get; } =
        "peak memory and time of one training step (forward + backward) of a whole model with full attention and " +
        $"chunked feed-forward, at depth {string.Join(" and ", s_models.Select(m => m.Depth).Distinct())}, with plain and with " +
        "reversible blocks (default seq " +
        $"{string.Join(",", DefaultSeq)})";

    public static List<MemoryResult> Run(BenchmarkOptions o)
    {
        var seqs = o.SeqGiven ? o.Seq : DefaultSeq;
        if (seqs.Any(seq => seq > 8192))
            throw new ArgumentException($"--seq {string.Join(",", seqs)}: the memory suite's models accept up to 8192 tokens.");
        var models = s_models.Where(m => o.Depth.Contains(m.Depth)).ToList();
        if (models.Count == 0)
            throw new ArgumentException($"--depth {string.Join(",", o.Depth)}: the memory suite has models of depth 2 and 12.");
        var results = new List<MemoryResult>();
        foreach (int seq in seqs)
        {
            foreach (var model in models)
            {
                AnsiConsole.MarkupLine($"[grey]seq {seq}, depth {model.Depth}, {(model.Reversible ? "reversible" : "plain")}: measuring...[/]");
                var (peak, ms) = Measure(model, o, seq);
                results.Add(new MemoryResult("memory", "full", "generated", seq, model.Depth, model.Reversible,
                    peak is double p ? Math.Round(p, 2) : null, Math.Round(ms, 2)));
            }
        }
        return results;
    }

    private static (double? Peak, double Ms) Measure(Model declaration, BenchmarkOptions o, int seq)
    {
        manual_seed(seq);
        using var model = declaration.Create();
        model.train();
        using var tokens = randint(256, new long[] { o.Batch, seq }, dtype: int64);
        using var targets = tokens.roll(-1, 1);

        void Step()
        {
            using var scope = NewDisposeScope();
            model.zero_grad();
            var logits = model.call(tokens);
            var loss = nn.functional.cross_entropy(logits.reshape(-1, 256), targets.reshape(-1));
            loss.backward();
        }

        // Time first (its warm-up also creates the gradients, which then count as resident before the peak is taken).
        var ms = Measurement.MedianMilliseconds([Step], Math.Max(1, o.Warmup), TimeSpan.Zero, o.Repetitions,
            o.Budget())[0];
        var peak = Measurement.PeakMemoryMebibytes(Step);
        return (peak, ms);
    }

    /// <summary>The results as a table, with each reversible peak relative to the plain model's at the same depth, and depth 12 over depth 2.</summary>
    public static Table Table(IReadOnlyList<MemoryResult> results)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("seq").AddColumn("depth").AddColumn("blocks")
            .AddColumn(new TableColumn("peak MiB").RightAligned())
            .AddColumn(new TableColumn("step ms").RightAligned())
            .AddColumn(new TableColumn("peak vs depth 2").RightAligned());
        foreach (var result in results)
        {
            var shallow = results.FirstOrDefault(r => r.Seq == result.Seq && r.Reversible == result.Reversible && r.Depth == 2)?.PeakMemoryMb;
            string ratio = shallow is double s && s > 0 && result.PeakMemoryMb is double p ? (p / s).ToString("0.00", CultureInfo.InvariantCulture) + "x" : "";
            table.AddRow(result.Seq.ToString(CultureInfo.InvariantCulture), result.Depth.ToString(CultureInfo.InvariantCulture),
                result.Reversible ? "reversible" : "plain",
                result.PeakMemoryMb?.ToString("0.0", CultureInfo.InvariantCulture) ?? "n/a",
                result.StepMs?.ToString("0", CultureInfo.InvariantCulture) ?? "n/a", ratio);
        }
        return table;
    }
}
