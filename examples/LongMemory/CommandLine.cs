using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;

namespace LongMemoryExample;

/// <summary>The example's settings, from the command line.</summary>
internal sealed record Settings(
    double Minutes, int Steps, int Batch, double LearningRate, int[] Memories, int EvaluationRows, int ScoredSegments,
    int Threads, int Seed, string Progress, string? Json);

/// <summary>The options, on System.CommandLine; <c>--help</c>, <c>-h</c> or <c>-?</c> prints them with their defaults.</summary>
internal static class CommandLine
{
    /// <summary>Training and evaluation segments: 128 bytes, as the issue sets them.</summary>
    public const int SegmentLength = 128;

    /// <summary>The longest evaluation memory the models can also recompute in one forward (their MaxLength less a segment).</summary>
    public static int LongestMemory => XlByteModel.Spec.MaxLength - SegmentLength;

    /// <summary>The settings, or null and the exit code: 0 after printing the help, 2 after printing an error naming the option.</summary>
    public static (Settings? Settings, int ExitCode) Parse(string[] args)
    {
        var minutes = Number("--minutes", 1.5, "Training time per model: each model trains this long (the comparison is at equal training time)");
        var steps = Integer("--steps", 100_000, "Maximum optimizer steps per model (the time budget normally ends training first)", minimum: 1, maximum: int.MaxValue);
        var batch = Integer("--batch", 8, "Streams read side by side in training (rows of the stream)", minimum: 1, maximum: 1024);
        var lr = Number("--lr", 2e-3, "Peak learning rate (AdamW, warm-up then cosine)");
        var memories = new Option<int[]>("--memories")
        {
            HelpName = "list",
            Description = $"Evaluation memory lengths, comma-separated, each 0 to {LongestMemory}",
            DefaultValueFactory = _ => [0, 128, 512, 1024],
            CustomParser = result => Parse(result, "--memories", text =>
            {
                var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                var values = parts.Select(part => int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : -1).ToArray();
                return values.Length > 0 && values.All(value => value >= 0 && value <= LongestMemory)
                    ? (values, null) : (Array.Empty<int>(), $"expected comma-separated integers from 0 to {LongestMemory}");
            }),
        };
        var rows = Integer("--eval-rows", 4, "Validation streams read side by side in evaluation", minimum: 1, maximum: 64);
        var scored = Integer("--eval-segments", 8, "Validation segments scored per stream, after as many as the longest memory needs to fill", minimum: 1, maximum: 10_000);
        var threads = Integer("--threads", Environment.ProcessorCount, "CPU threads", minimum: 1, maximum: 1024);
        var seed = Integer("--seed", 1, "Seed of the weights and the batches", minimum: int.MinValue, maximum: int.MaxValue);
        var progress = new Option<string>("--progress")
        {
            HelpName = "mode",
            Description = "auto | live | lines | none (auto: live in a terminal, lines when redirected)",
            DefaultValueFactory = _ => "auto",
            CustomParser = result => Parse(result, "--progress", text =>
                text is "auto" or "live" or "lines" or "none" ? (text, null) : (text, "expected auto, live, lines or none")),
        };
        var json = new Option<string?>("--json") { HelpName = "file", Description = "Also write the rows as a JSON array, one object per row" };

        var root = new RootCommand(
            "Segment recurrence on this repository's text: trains a Transformer-XL, a Compressive Transformer and the same frame " +
            $"without recurrence for the same time on segments of {SegmentLength} bytes (memory 128), then reports validation bits " +
            "per byte with each evaluation memory, and how much faster reusing the memory is than recomputing the same context " +
            "from scratch at every segment.\n" +
            "Run: dotnet run -c Release --project examples/LongMemory -- [options]")
        {
            minutes, steps, batch, lr, memories, rows, scored, threads, seed, progress, json,
        };
        Settings? settings = null;
        root.SetAction(result => settings = new Settings(
            result.GetValue(minutes), result.GetValue(steps), result.GetValue(batch), result.GetValue(lr), result.GetValue(memories)!,
            result.GetValue(rows), result.GetValue(scored), result.GetValue(threads), result.GetValue(seed), result.GetValue(progress)!,
            result.GetValue(json)));

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

    private static Option<int> Integer(string name, int defaultValue, string description, int minimum, int maximum) => new(name)
    {
        HelpName = "n",
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => Parse(result, name, text =>
            int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= minimum && value <= maximum
                ? (value, null)
                : (0, maximum == int.MaxValue ? $"expected an integer of at least {minimum}" : $"expected an integer from {minimum} to {maximum}")),
    };

    private static Option<double> Number(string name, double defaultValue, string description) => new(name)
    {
        HelpName = "x",
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => Parse<double>(result, name, text =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) && value > 0
                ? (value, null) : (0, "expected a positive number")),
    };

    // "--batch x: expected an integer from 1 to 1024." names the option and the value.
    private static T Parse<T>(ArgumentResult result, string name, Func<string, (T Value, string? Error)> parse)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        var (value, error) = parse(text);
        if (error is not null)
            result.AddError($"{name} {text}: {error}.");
        return value;
    }
}
