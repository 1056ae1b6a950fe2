using System.Globalization;

namespace XformerDsl.Benchmarks;

/// <summary>Options shared by the suites, from <c>--name value</c> pairs.</summary>
internal sealed record BenchmarkOptions
{
    public string Family { get; init; } = "full";
    public int[] Seq { get; init; } = [1024, 2048, 4096];
    public bool SeqGiven { get; init; }
    public int[] Depth { get; init; } = [2, 12];
    public int Batch { get; init; } = 1;
    public int Heads { get; init; } = 8;
    public int HeadDim { get; init; } = 64;
    public bool Causal { get; init; } = true;
    public int Window { get; init; } = 256;
    public int Block { get; init; } = 64;
    public string[] Impl { get; init; } = [];
    public int Threads { get; init; } = Environment.ProcessorCount;
    public int Warmup { get; init; } = 2;
    public int Repetitions { get; init; } = 5;
    public double MaxSecondsPerMeasurement { get; init; } = 20;
    public double ReferenceBudgetGb { get; init; } = 12;
    public string? Json { get; init; }
}

internal static class CommandLine
{
    public const string Usage = """
        Measures generated kernels against baselines in the same run: a table on the console and, with --json, a JSON array.

        Usage: dotnet run -c Release --project tests/XformerDsl.Benchmarks -- <suite> [options]

        Suites:
          attention   forward and forward+backward time and peak memory of one attention call, per implementation:
                      generated (the fused kernel the generator emits), reference (composed from TorchSharp ops, run while
                      its [seq x seq] matrices fit the reference budget) and sdpa (libtorch's scaled_dot_product_attention)
          memory      peak memory and time of one training step (forward + backward) of a whole model with full attention
                      and chunked feed-forward, at depth 2 and 12, with plain and with reversible blocks (default seq 8192)
          generate    tokens per second and peak memory of greedy generation of --seq tokens, one Step at a time: a model of
                      --family linear, performer or t2r (impl recurrent) against the same frame with full attention (impl
                      kv-cache); --batch sequences at once

        Options:
          --family <name>       attention family: full, local, sliding, strided, fixed, bigbird, axial, linear, performer,
                                t2r or lsh (default full; lsh: chunks of 64, 2 rounds, its sdpa row is full attention)
          --window <n>          sliding: keys in each query's window, 128, 256 or 512 (default 256)
          --block <n>           local: tokens per block, 64, 128 or 256; each query sees its block and the previous one,
                                and the next one when bidirectional; strided, fixed: the stride, 64 (MaxLength 4096);
                                bigbird: the block, 64 (default 64). axial: a 128 x 128 grid (MaxLength 16384)
          --seq <n,n,...>       sequence lengths, or tokens to generate (default 1024,2048,4096; memory: 8192)
          --depth <n,n,...>     memory: only the models of these depths, 2 and/or 12 (default 2,12)
          --batch <n>           batch size (default 1)
          --heads <n>           heads (default 8)
          --head-dim <n>        head size: 32, 64 or 128 (default 64)
          --causal <bool>       causal or bidirectional (default true)
          --impl <a,b,...>      only these implementations (default all)
          --threads <n>         threads for libtorch and the kernels (default: all cores)
          --warmup <n>          untimed runs before timing (default 2)
          --repetitions <n>     timed runs; the median is reported (default 5)
          --max-seconds <x>     stop repeating a measurement after this long (default 20)
          --reference-budget-gb <x>  skip the reference where its estimated memory exceeds this (default 12)
          --json <file>         also write the results as a JSON array to this file
        """;

    public static (string? Suite, BenchmarkOptions? Options, string? Error) Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
            return (null, null, null);
        var options = new BenchmarkOptions();
        for (int i = 1; i < args.Length; i++)
        {
            string name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                return (args[0], null, $"Expected '--option value' at '{name}'.");
            string value = args[++i];
            try
            {
                options = name switch
                {
                    "--family" => options with { Family = value },
                    "--seq" => options with { Seq = value.Split(',').Select(Positive).ToArray(), SeqGiven = true },
                    "--depth" => options with { Depth = value.Split(',').Select(Positive).ToArray() },
                    "--batch" => options with { Batch = Positive(value) },
                    "--heads" => options with { Heads = Positive(value) },
                    "--head-dim" => options with { HeadDim = Positive(value) },
                    "--causal" => options with { Causal = bool.Parse(value) },
                    "--window" => options with { Window = Positive(value) },
                    "--block" => options with { Block = Positive(value) },
                    "--impl" => options with { Impl = value.Split(',') },
                    "--threads" => options with { Threads = Positive(value) },
                    "--warmup" => options with { Warmup = int.Parse(value, CultureInfo.InvariantCulture) },
                    "--repetitions" => options with { Repetitions = Positive(value) },
                    "--max-seconds" => options with { MaxSecondsPerMeasurement = double.Parse(value, CultureInfo.InvariantCulture) },
                    "--reference-budget-gb" => options with { ReferenceBudgetGb = double.Parse(value, CultureInfo.InvariantCulture) },
                    "--json" => options with { Json = value },
                    _ => throw new ArgumentException($"Unknown option '{name}'."),
                };
            }
            catch (FormatException)
            {
                return (args[0], null, $"{name} {value}: not a valid value.");
            }
            catch (ArgumentException e)
            {
                return (args[0], null, e.Message);
            }
        }
        return (args[0], options, null);
    }

    private static int Positive(string text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new FormatException();
}
