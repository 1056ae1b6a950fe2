using Spectre.Console;
using TorchSharp;
using XformerDsl.Modules;
using XformerDsl.Training;
using static TorchSharp.torch;

namespace XformerDsl.Benchmarks;

/// <summary>One row of the generate suite's JSON: the fields other tools read, in this order.</summary>
internal sealed record GenerateResult(string Suite, string Family, string Impl, int Seq, double TokensPerSecond, double? PeakMemoryMb);

/// <summary>
/// The generate suite: greedy generation of <c>--seq</c> tokens per sequence, one <c>Step</c> at a time, by a model of the
/// chosen family (impl <c>recurrent</c>: causal linear attention's fixed-size state, a pattern's cache of the keys it can
/// still read) and by the same frame with full attention (family <c>full</c>, impl <c>kv-cache</c>), in one run, the two
/// taking turns of 256 tokens so both are timed over the same stretch of the machine: tokens per second, and the peak
/// memory above the model's own in a generation of each alone.
/// </summary>
internal static class GenerateSuite
{
    /// <summary>The <c>--family</c> values the suite generates with (impl <c>recurrent</c>), and their models (GenerationModels.cs).</summary>
    public static IReadOnlyList<(string Family, Func<nn.Module<Tensor, Tensor>> Create)> Families { get; } =
    [
        ("linear", () => new GenerateLinear()),
        ("performer", () => new GeneratePerformer()),
        ("t2r", () => new GenerateT2R()),
        ("sliding", () => new GenerateSliding()),
        ("local", () => new GenerateLocal()),
        ("strided", () => new GenerateStrided()),
        ("bigbird", () => new GenerateBigBird()),
        ("lsh", () => new GenerateLsh()),
        ("routing", () => new GenerateRouting()),
        ("compressive", () => new GenerateCompressive()),
        ("sinkhorn", () => new GenerateSinkhorn()),
    ];

    /// <summary>The suite's line in the usage text.</summary>
    public static string Help { get; } =
        $"tokens per second and peak memory of greedy generation of --seq tokens, one Step at a time: a model of --family " +
        $"{CommandLine.OneOf(Families.Select(f => f.Family))} (impl recurrent) against the same frame with full attention " +
        $"(impl kv-cache); --batch sequences at once";

    public static List<GenerateResult> Run(BenchmarkOptions o)
    {
        var candidates = new List<(string Family, string Impl, Func<nn.Module<Tensor, Tensor>> Create)>
        {
            (o.Family, "recurrent", Families.FirstOrDefault(f => f.Family == o.Family).Create
                ?? throw new ArgumentException($"--family {o.Family}: the generate suite measures {CommandLine.OneOf(Families.Select(f => f.Family))} against full attention with a key-value cache.")),
            ("full", "kv-cache", () => new GenerateFull()),
        };
        var results = new List<GenerateResult>();
        var chosen = candidates.Where(c => o.Impl.Length == 0 || o.Impl.Contains(c.Impl)).ToList();
        foreach (int tokens in o.Seq)
        {
            AnsiConsole.MarkupLine($"[grey]{tokens} tokens: {string.Join(" and ", chosen.Select(c => $"{c.Family} {c.Impl}"))}...[/]");
            var models = new List<nn.Module<Tensor, Tensor>>();
            try
            {
                foreach (var candidate in chosen)
                {
                    torch.manual_seed(0);
                    var model = candidate.Create();
                    model.eval();
                    models.Add(model);
                    // Warm-up: the JIT's tiers and libtorch's first calls, over enough tokens that every family's step runs
                    // each of its paths (Sinkhorn opens a block every 64 tokens); 16 left the first model measured paying them.
                    Sampler.TimeGreedySteps((IRecurrentLanguageModel)model, o.Batch, Math.Min(tokens, 160));
                }
                var seconds = Interleaved(models.Cast<IRecurrentLanguageModel>().ToList(), o.Batch, tokens);
                for (int i = 0; i < chosen.Count; i++)
                {
                    // Memory apart from the timing, one model at a time: the turns keep every model's state alive at once.
                    var recurrent = (IRecurrentLanguageModel)models[i];
                    var peak = Measurement.PeakMemoryMebibytes(() => Sampler.TimeGreedySteps(recurrent, o.Batch, tokens));
                    results.Add(new GenerateResult("generate", chosen[i].Family, chosen[i].Impl, tokens, o.Batch * tokens / seconds[i], peak));
                }
            }
            finally
            {
                foreach (var model in models)
                    model.Dispose();
            }
        }
        return results;
    }

    // Tokens per turn when the models take turns: short against the VM's drift (its speed moves over seconds), long
    // against the cache refill a switch costs (a model's weights and state come back from memory once per turn).
    private const int TurnTokens = 256;

    // Generates `tokens` tokens with every model, the models taking turns of TurnTokens: each sees the same stretches of
    // the machine, so their ratio does not depend on which ran during a slow one. Returns each model's seconds.
    private static double[] Interleaved(IReadOnlyList<IRecurrentLanguageModel> models, int batch, int tokens)
    {
        var runs = models.Select(m => new GreedySteps(m, batch)).ToList();
        try
        {
            var seconds = new double[models.Count];
            for (int done = 0; done < tokens; done += TurnTokens)
                for (int i = 0; i < runs.Count; i++)
                    seconds[i] += runs[i].Advance(Math.Min(TurnTokens, tokens - done));
            return seconds;
        }
        finally
        {
            foreach (var run in runs)
                run.Dispose();
        }
    }

    public static Table Table(IReadOnlyList<GenerateResult> results)
    {
        var table = new Table().RoundedBorder();
        foreach (var column in new[] { "tokens", "family", "impl", "tokens/s", "peak MiB" })
            table.AddColumn(new TableColumn(column).RightAligned());
        foreach (var r in results)
            table.AddRow(r.Seq.ToString(), r.Family, r.Impl, r.TokensPerSecond.ToString("0.0"), r.PeakMemoryMb?.ToString("0.0") ?? "-");
        return table;
    }
}
