using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
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
    public bool Resume { get; init; }
}

/// <summary>
/// The options, on System.CommandLine: <c>--name value</c> or <c>--name=value</c>; <c>--help</c>, <c>-h</c> or <c>-?</c>
/// prints them with their defaults.
/// </summary>
internal static class CommandLine
{
    /// <summary>
    /// The settings, or null and the exit code: 0 after printing the help, 2 after printing an error that names the
    /// offending option or value.
    /// </summary>
    public static (Settings? Settings, int ExitCode) Parse(string[] args)
    {
        var d = new Settings();
        var minutes = Number("--minutes", "m", d.Minutes, "Wall-time budget for training, validation included", positive: true);
        var steps = Integer("--steps", d.Steps, "Maximum optimizer steps; training stops at whichever limit comes first", minimum: 1);
        var batch = Integer("--batch", d.Batch, "Windows per batch", minimum: 1);
        var seq = Integer("--seq", d.Seq, "Tokens per window, at most the model's MaxLength", minimum: 1);
        var lr = Number("--lr", "x", d.LearningRate, "Peak learning rate of AdamW, reached after warm-up, then cosine decay", positive: true);
        var data = new Option<string?>("--data")
        {
            HelpName = "path",
            Description = "A text file or a directory of text files to train on (default: the *.md and *.cs files of this repository)",
        };
        var seed = Integer("--seed", d.Seed, "Seed of the weights, the batches and the samples", minimum: int.MinValue);
        var output = new Option<string>("--out") { HelpName = "dir", Description = "Where the checkpoint and loss.png go", DefaultValueFactory = _ => d.Out };
        var sampleTokens = Integer("--sample-tokens", d.SampleTokens, "Bytes to generate per prompt; 0 skips sampling", minimum: 0);
        var temperature = Number("--temperature", "x", d.Temperature, "Sampling temperature; 0 is greedy", positive: false);
        var topK = Integer("--top-k", d.TopK, "Sample among the k most likely bytes; 0 means all", minimum: 0);
        var resume = new Option<bool>("--resume")
        {
            Description = "Continue from the checkpoint in --out, if there is one (weights, optimizer, step, data position, random state); the steps taken are those an uninterrupted run takes",
        };
        var progress = new Option<string>("--progress")
        {
            HelpName = "mode",
            Description = "auto | live | lines | none (auto: live in a terminal, lines when redirected)",
            DefaultValueFactory = _ => d.Progress,
            CustomParser = result => Parse(result, "--progress", text =>
                text is "auto" or "live" or "lines" or "none" ? (text, null) : (text, "expected auto, live, lines or none")),
        };

        var root = new RootCommand(
            "Trains TinyGpt (declared in TinyGpt.cs with XformerDsl attributes) as a byte-level language model, saves a " +
            "checkpoint and a plot of its loss, and prints samples.\n" +
            "Run: dotnet run -c Release --project examples/TinyGpt -- [options]")
        {
            minutes, steps, batch, seq, lr, data, seed, output, sampleTokens, temperature, topK, progress, resume,
        };
        Settings? settings = null;
        root.SetAction(result => settings = new Settings
        {
            Minutes = result.GetValue(minutes),
            Steps = result.GetValue(steps),
            Batch = result.GetValue(batch),
            Seq = result.GetValue(seq),
            LearningRate = result.GetValue(lr),
            Data = result.GetValue(data),
            Seed = result.GetValue(seed),
            Out = result.GetValue(output)!,
            SampleTokens = result.GetValue(sampleTokens),
            Temperature = result.GetValue(temperature),
            TopK = result.GetValue(topK),
            Progress = result.GetValue(progress)!,
            Resume = result.GetValue(resume),
        });
        return Invoke(root, args, () => settings);
    }

    // --help prints the help and exits 0; a parse error is printed with a pointer to --help, exit code 2 (as the
    // benchmarks do); otherwise the root action builds the settings.
    private static (Settings?, int) Invoke(RootCommand root, string[] args, Func<Settings?> settings)
    {
        var result = root.Parse(args);
        if (result.Action is not HelpAction && result.Errors.Count > 0)
        {
            foreach (var error in result.Errors)
                Console.Error.WriteLine(error.Message);
            Console.Error.WriteLine("Run with --help for the options.");
            return (null, 2);
        }
        int exitCode = result.Invoke();
        return (settings(), exitCode);
    }

    private static Option<int> Integer(string name, int defaultValue, string description, int minimum) => new(name)
    {
        HelpName = "n",
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => Parse(result, name, text =>
            !int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? (0, "expected an integer")
            : value < minimum ? (0, minimum == 1 ? "must be positive" : "must not be negative")
            : (value, null)),
    };

    private static Option<double> Number(string name, string helpName, double defaultValue, string description, bool positive) => new(name)
    {
        HelpName = helpName,
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => Parse<double>(result, name, text =>
            !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) ? (0, "expected a number")
            : positive && value <= 0 ? (0, "must be positive")
            : value < 0 ? (0, "must not be negative")
            : (value, null)),
    };

    // "--steps x: expected an integer." names the option and the value, as the hand-written parser did.
    private static T Parse<T>(ArgumentResult result, string name, Func<string, (T Value, string? Error)> parse)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        var (value, error) = parse(text);
        if (error is not null)
            result.AddError($"{name} {text}: {error}.");
        return value;
    }
}
