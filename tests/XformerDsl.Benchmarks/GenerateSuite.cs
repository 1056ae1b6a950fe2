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
/// still read) and by the same frame with full attention (family <c>full</c>, impl <c>kv-cache</c>), in one run: tokens
/// per second and the peak memory above the model's own.
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
        foreach (int tokens in o.Seq)
        {
            foreach (var (family, impl, create) in candidates.Where(c => o.Impl.Length == 0 || o.Impl.Contains(c.Impl)))
            {
                AnsiConsole.MarkupLine($"[grey]{tokens} tokens: {family} {impl}...[/]");
                torch.manual_seed(0);
                using var model = create();
                model.eval();
                var recurrent = (IRecurrentLanguageModel)model;
                // Warm-up: the JIT's tiers and libtorch's first calls, over enough tokens that every family's step runs each of
                // its paths (Sinkhorn opens a block every 64 tokens); 16 left the first model measured paying them.
                Sampler.TimeGreedySteps(recurrent, o.Batch, Math.Min(tokens, 160));
                double seconds = 0;
                var peak = Measurement.PeakMemoryMebibytes(() => seconds = Sampler.TimeGreedySteps(recurrent, o.Batch, tokens));
                results.Add(new GenerateResult("generate", family, impl, tokens, o.Batch * tokens / seconds, peak));
            }
        }
        return results;
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
