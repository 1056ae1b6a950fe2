using System.Globalization;

namespace TinyGptExample;

/// <summary>The example's settings, from the command line; every one has a default that runs in under five minutes on 2 cores.</summary>
internal sealed record Settings
{
    public double Minutes { get; init; } = 3.0;
    public int Steps { get; init; } = 600;
    public int Batch { get; init; } = 16;
    public int Seq { get; init; } = 128;
    public double LearningRate { get; init; } = 2e-3;
    public string? Data { get; init; }
    public int Seed { get; init; } = 1337;
    public string Out { get; init; } = Path.Combine("runs", "tinygpt");
    public int SampleTokens { get; init; } = 200;
    public double Temperature { get; init; } = 0.8;
    public int TopK { get; init; } = 40;
    public string Progress { get; init; } = "auto";
    public bool Help { get; init; }
}

/// <summary>Parses <c>--name value</c> and <c>--name=value</c> options into <see cref="Settings"/>.</summary>
internal static class CommandLine
{
    public const string Usage = """
        Trains TinyGpt (declared in TinyGpt.cs with XformerDsl attributes) as a byte-level language model, saves a
        checkpoint and prints samples.

        Usage: dotnet run -c Release --project examples/TinyGpt -- [options]

        Options:
          --minutes <m>        Wall-time budget for training, validation included (default 3)
          --steps <n>          Maximum optimizer steps (default 600); training stops at whichever limit comes first
          --batch <n>          Windows per batch (default 16)
          --seq <n>            Tokens per window, at most the model's MaxLength (default 128)
          --lr <x>             Peak learning rate of AdamW, reached after warm-up, then cosine decay (default 2e-3)
          --data <path>        A text file or a directory of text files to train on
                               (default: the *.md and *.cs files of this repository)
          --seed <n>           Seed of the weights, the batches and the samples (default 1337)
          --out <dir>          Where the checkpoint goes (default runs/tinygpt)
          --sample-tokens <n>  Bytes to generate per prompt (default 200; 0 skips sampling)
          --temperature <x>    Sampling temperature; 0 is greedy (default 0.8)
          --top-k <n>          Sample among the k most likely bytes; 0 means all (default 40)
          --progress <mode>    auto | live | lines | none (default auto: live in a terminal, lines when redirected)
          --help               Show this help
        """;

    /// <summary>The settings, or an error message naming the offending option.</summary>
    public static (Settings? Settings, string? Error) Parse(IReadOnlyList<string> args)
    {
        var settings = new Settings();
        for (int i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "--help" or "-h" or "-?")
                return (settings with { Help = true }, null);
            if (!arg.StartsWith("--", StringComparison.Ordinal))
                return (null, $"Unexpected argument '{arg}'.");
            string name = arg, value;
            int equals = arg.IndexOf('=');
            if (equals > 0)
            {
                name = arg[..equals];
                value = arg[(equals + 1)..];
            }
            else if (i + 1 < args.Count)
            {
                value = args[++i];
            }
            else
            {
                return (null, $"{arg} needs a value.");
            }

            try
            {
                settings = name switch
                {
                    "--minutes" => settings with { Minutes = Positive(Double(value)) },
                    "--steps" => settings with { Steps = (int)Positive(Int(value)) },
                    "--batch" => settings with { Batch = (int)Positive(Int(value)) },
                    "--seq" => settings with { Seq = (int)Positive(Int(value)) },
                    "--lr" => settings with { LearningRate = Positive(Double(value)) },
                    "--data" => settings with { Data = value },
                    "--seed" => settings with { Seed = Int(value) },
                    "--out" => settings with { Out = value },
                    "--sample-tokens" => settings with { SampleTokens = (int)NotNegative(Int(value)) },
                    "--temperature" => settings with { Temperature = NotNegative(Double(value)) },
                    "--top-k" => settings with { TopK = (int)NotNegative(Int(value)) },
                    "--progress" => settings with { Progress = value is "auto" or "live" or "lines" or "none" ? value : throw new FormatException("expected auto, live, lines or none") },
                    _ => throw new ArgumentException($"Unknown option '{name}'."),
                };
            }
            catch (FormatException e)
            {
                return (null, $"{name} {value}: {e.Message}.");
            }
            catch (ArgumentException e)
            {
                return (null, e.Message);
            }
        }
        return (settings, null);
    }

    private static int Int(string text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : throw new FormatException("expected an integer");

    private static double Double(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? value : throw new FormatException("expected a number");

    private static double Positive(double value) => value > 0 ? value : throw new FormatException("must be positive");

    private static double NotNegative(double value) => value >= 0 ? value : throw new FormatException("must not be negative");
}
