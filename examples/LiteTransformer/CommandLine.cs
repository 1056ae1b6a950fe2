using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;

namespace LiteTransformerExample;

/// <summary>The example's settings, from the command line; the defaults run in a few minutes on 2 cores.</summary>
internal sealed record Settings
{
    public int Steps { get; init; } = 600;
    public double Minutes { get; init; } = 3.0;
    public int Batch { get; init; } = 64;
    public double LearningRate { get; init; } = 2e-3;
    public int TrainPairs { get; init; } = 20_000;
    public int TestPairs { get; init; } = 1_000;
    public int Beams { get; init; } = 4;
    public int Examples { get; init; } = 6;
    public int Threads { get; init; } = 1;
    public int Seed { get; init; } = 7;
    public string Progress { get; init; } = "auto";
    public bool Quick { get; init; }
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
        var steps = Integer("--steps", d.Steps, "Maximum optimizer steps per model; training stops at whichever limit comes first", minimum: 1);
        var minutes = Number("--minutes", d.Minutes, "Wall-time budget for training each model, validation included");
        var batch = Integer("--batch", d.Batch, "Sentence pairs per batch", minimum: 1);
        batch.Aliases.Add("--batch-size");
        var lr = Number("--lr", d.LearningRate, "Peak learning rate of AdamW, reached after warm-up, then cosine decay");
        var trainPairs = Integer("--train-pairs", d.TrainPairs, "Training pairs to generate (dates of the training split, random phrasings)", minimum: 1);
        var testPairs = Integer("--test-pairs", d.TestPairs, "Held-out pairs to decode and score, on dates that never occur in training", minimum: 1);
        var beams = Integer("--beams", d.Beams, "Beam width of a second, beam-search decoding of the held-out pairs; 1 decodes greedily only", minimum: 1);
        var examples = Integer("--examples", d.Examples, "Held-out translations to print per model", minimum: 0);
        var threads = Integer("--threads", d.Threads, "Threads for torch and the fused kernels. 1 by default: these models are too small for a second thread to help, and on " +
            "a busy machine it made training about 10× slower (libtorch's OpenMP threads spin while they wait; OMP_WAIT_POLICY=passive avoids that)", minimum: 1);
        var seed = Integer("--seed", d.Seed, "Seed of the data, the weights and the batches", minimum: int.MinValue);
        var progress = new Option<string>("--progress")
        {
            HelpName = "mode",
            Description = "auto | live | lines | none (auto: live in a terminal, lines when redirected)",
            DefaultValueFactory = _ => d.Progress,
            CustomParser = result => Parse(result, "--progress", text =>
                text is "auto" or "live" or "lines" or "none" ? (text, null) : (text, "expected auto, live, lines or none")),
        };
        var quick = new Option<bool>("--quick")
        {
            Description = "A check that everything works, in well under a minute: at most 30 steps and 100 held-out pairs per model (accuracy stays near 0)",
        };

        var root = new RootCommand(
            "Lite Transformer against a vanilla transformer under the same Mult-Adds budget (both declared with it in " +
            "LiteTranslator.cs and VanillaTranslator.cs): trains each encoder–decoder to translate English dates " +
            "(\"the twenty-third of march nineteen ninety-four\", \"mar 23, 1994\", …) to ISO (\"1994-03-23\"), then prints " +
            "Mult-Adds per 30-token sentence, parameters, exact-match accuracy on held-out dates and tokens/s for each.\n" +
            "Run: dotnet run -c Release --project examples/LiteTransformer -- [options]")
        {
            steps, minutes, batch, lr, trainPairs, testPairs, beams, examples, threads, seed, progress, quick,
        };
        Settings? settings = null;
        root.SetAction(result =>
        {
            bool isQuick = result.GetValue(quick);
            settings = new Settings
            {
                Steps = isQuick ? Math.Min(30, result.GetValue(steps)) : result.GetValue(steps),
                Minutes = result.GetValue(minutes),
                Batch = result.GetValue(batch),
                LearningRate = result.GetValue(lr),
                TrainPairs = result.GetValue(trainPairs),
                TestPairs = isQuick ? Math.Min(100, result.GetValue(testPairs)) : result.GetValue(testPairs),
                Beams = result.GetValue(beams),
                Examples = result.GetValue(examples),
                Threads = result.GetValue(threads),
                Seed = result.GetValue(seed),
                Progress = result.GetValue(progress)!,
                Quick = isQuick,
            };
        });

        // --help prints the help and exits 0; a parse error is printed with a pointer to --help, exit code 2.
        var parsed = root.Parse(args);
        if (parsed.Action is not HelpAction && parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
                Console.Error.WriteLine(error.Message);
            Console.Error.WriteLine("Run with --help for the options.");
            return (null, 2);
        }
        int exitCode = parsed.Invoke();
        return (settings, exitCode);
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

    private static Option<double> Number(string name, double defaultValue, string description) => new(name)
    {
        HelpName = "x",
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => Parse<double>(result, name, text =>
            !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) ? (0, "expected a number")
            : value <= 0 ? (0, "must be positive")
            : (value, null)),
    };

    // "--steps x: expected an integer." names the option and the value.
    private static T Parse<T>(ArgumentResult result, string name, Func<string, (T Value, string? Error)> parse)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        var (value, error) = parse(text);
        if (error is not null)
            result.AddError($"{name} {text}: {error}.");
        return value;
    }
}
