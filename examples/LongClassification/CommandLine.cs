using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;

namespace LongClassificationExample;

/// <summary>The example's settings, from the command line; the defaults run in a few minutes on 2 cores.</summary>
internal sealed record Settings
{
    public int Steps { get; init; } = 150;
    public double Minutes { get; init; } = 5.0;
    public int Batch { get; init; } = 16;
    public double LearningRate { get; init; } = 3e-3;
    public int TrainExamples { get; init; } = 8_000;
    public int ValidationExamples { get; init; } = 256;
    public int TestExamples { get; init; } = 512;
    public string Task { get; init; } = "majority";
    public int? MinLength { get; init; }
    public int? MaxLength { get; init; }
    public int MaxDepth { get; init; } = ListOpsShape.Lra.MaxDepth;
    public int MaxArgs { get; init; } = ListOpsShape.Lra.MaxArgs;
    public IReadOnlyList<string> Models { get; init; } = [.. ComparedModels.All.Select(model => model.Name)];
    public int Threads { get; init; } = 2;
    public int Seed { get; init; } = 7;
    public string Progress { get; init; } = "auto";
    public string? Json { get; init; }
    public bool Quick { get; init; }

    /// <summary>Sequences are longer than Min and shorter than Max tokens: as given, else the task's defaults.</summary>
    public (int Min, int Max) Lengths => Task == "listops"
        ? (MinLength ?? ListOpsShape.Lra.MinLength, MaxLength ?? ListOpsShape.Lra.MaxLength)
        : (MinLength ?? Majority.DefaultMinLength, MaxLength ?? Majority.DefaultMaxLength);

    /// <summary>The ListOps expressions asked for.</summary>
    public ListOpsShape Shape => new(Lengths.Min, Lengths.Max, MaxDepth, MaxArgs);
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
        var lra = ListOpsShape.Lra;
        var steps = Integer("--steps", d.Steps, "Maximum optimizer steps per model; training stops at whichever limit comes first", minimum: 1);
        var minutes = Number("--minutes", d.Minutes, "Wall-time cap for training each model, validation passes included: a safety net, since a model it stops early has had fewer steps than the others");
        var batch = Integer("--batch", d.Batch, "Sequences per batch", minimum: 1);
        batch.Aliases.Add("--batch-size");
        var lr = Number("--lr", d.LearningRate, "Peak learning rate of AdamW, reached after warm-up, then cosine decay");
        var train = Integer("--train", d.TrainExamples, "Training sequences to generate (LRA's ListOps: 96,000)", minimum: 1);
        var validation = Integer("--validation", d.ValidationExamples, "Validation sequences, scored during training (LRA's ListOps: 2,000)", minimum: 1);
        var test = Integer("--test", d.TestExamples, "Test sequences, scored once after training (LRA's ListOps: 2,000)", minimum: 1);
        var task = new Option<string>("--task")
        {
            HelpName = "name",
            Description = "majority: the commonest digit of the sequence, whose excess lies in one stretch of 128 tokens anywhere (Majority.cs); " +
                "listops: ListOps as the Long Range Arena generates it (ListOps.cs), which a few minutes on 2 cores do not lift above chance for any model",
            DefaultValueFactory = _ => d.Task,
            CustomParser = result => Parse(result, "--task", text =>
                text is "majority" or "listops" ? (text, null) : (text, "expected majority or listops")),
        };
        var minLength = OptionalInteger("--min-length", $"Sequences are longer than this many tokens [default: {Majority.DefaultMinLength} for majority, {lra.MinLength} for listops, LRA's]", minimum: 0);
        var maxLength = OptionalInteger("--max-length", $"Sequences are shorter than this many tokens [default: {Majority.DefaultMaxLength} for majority, {lra.MaxLength} for listops, LRA's]; the models take up to {ComparedModels.MaxLength}", minimum: 3);
        var maxDepth = Integer("--max-depth", d.MaxDepth, $"listops: deepest nesting of operators, the root at depth 1 (LRA: {lra.MaxDepth})", minimum: 1);
        var maxArgs = Integer("--max-args", d.MaxArgs, $"listops: most arguments of one operator, at least 2 (LRA: {lra.MaxArgs})", minimum: 2);
        var names = ComparedModels.All.Select(model => model.Name).ToArray();
        var models = new Option<string[]>("--models")
        {
            HelpName = "names",
            Description = $"Comma-separated models to train, in the table's order: {string.Join(", ", names)}",
            DefaultValueFactory = _ => [.. d.Models],
            CustomParser = result => Parse<string[]>(result, "--models", text =>
            {
                var chosen = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                var unknown = chosen.FirstOrDefault(name => !names.Contains(name));
                return chosen.Length == 0 ? ([], "expected at least one model")
                    : unknown is not null ? ([], $"unknown model {unknown}; the models are {string.Join(", ", names)}")
                    : (chosen, null);
            }),
        };
        var threads = Integer("--threads", d.Threads, "Threads for torch and the fused kernels; on a machine busy with other work use 1, or set OMP_WAIT_POLICY=passive (README, On a busy machine)", minimum: 1);
        var seed = Integer("--seed", d.Seed, "Seed of the data, the weights and the batches", minimum: int.MinValue);
        var progress = new Option<string>("--progress")
        {
            HelpName = "mode",
            Description = "auto | live | lines | none (auto: live in a terminal, lines when redirected)",
            DefaultValueFactory = _ => d.Progress,
            CustomParser = result => Parse(result, "--progress", text =>
                text is "auto" or "live" or "lines" or "none" ? (text, null) : (text, "expected auto, live, lines or none")),
        };
        var json = new Option<string?>("--json")
        {
            HelpName = "file",
            Description = "Also write the table to this file as a JSON array, one object per model",
        };
        var quick = new Option<bool>("--quick")
        {
            Description = "A check that everything works, in about a minute: at most 10 steps per model, 200 training, 64 validation and 64 test sequences (accuracy stays near chance)",
        };

        var root = new RootCommand(
            "Long-input classification across attention families: trains one encoder per family (ComparedModels.cs: " +
            string.Join(", ", ComparedModels.All.Select(model => model.Name)) + "), same frame, seed, steps and data, on a task the example generates, then prints test " +
            "and validation accuracy, training tokens/s, peak memory and parameters in one table. The default task, the commonest " +
            "digit of 129–511 tokens whose excess lies in one stretch anywhere, needs the whole sequence and is learned in minutes; " +
            "--task listops is ListOps as the Long Range Arena generates it.\n" +
            "Run: dotnet run -c Release --project examples/LongClassification -- [options]")
        {
            steps, minutes, batch, lr, task, train, validation, test, minLength, maxLength, maxDepth, maxArgs, models, threads, seed, progress, json, quick,
        };
        Settings? settings = null;
        root.SetAction(result =>
        {
            bool isQuick = result.GetValue(quick);
            settings = new Settings
            {
                Steps = isQuick ? Math.Min(10, result.GetValue(steps)) : result.GetValue(steps),
                Minutes = result.GetValue(minutes),
                Batch = result.GetValue(batch),
                LearningRate = result.GetValue(lr),
                TrainExamples = isQuick ? Math.Min(200, result.GetValue(train)) : result.GetValue(train),
                ValidationExamples = isQuick ? Math.Min(64, result.GetValue(validation)) : result.GetValue(validation),
                TestExamples = isQuick ? Math.Min(64, result.GetValue(test)) : result.GetValue(test),
                Task = result.GetValue(task)!,
                MinLength = result.GetValue(minLength),
                MaxLength = result.GetValue(maxLength),
                MaxDepth = result.GetValue(maxDepth),
                MaxArgs = result.GetValue(maxArgs),
                Models = result.GetValue(models)!,
                Threads = result.GetValue(threads),
                Seed = result.GetValue(seed),
                Progress = result.GetValue(progress)!,
                Json = result.GetValue(json),
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
        if (settings is { } chosen && Problem(chosen) is { } problem)
        {
            Console.Error.WriteLine(problem);
            Console.Error.WriteLine("Run with --help for the options.");
            return (null, 2);
        }
        return (settings, exitCode);
    }

    // What each option allows alone can still combine into a task the models cannot take.
    private static string? Problem(Settings settings)
    {
        var (min, max) = settings.Lengths;
        if (max - min < 2)
            return $"--min-length {min} --max-length {max}: no sequence is longer than {min} and shorter than {max} tokens.";
        if (max - 1 > ComparedModels.MaxLength)
            return $"--max-length {max}: the models take at most {ComparedModels.MaxLength} tokens (each is declared with MaxLength = {ComparedModels.MaxLength}).";
        return null;
    }

    private static Option<int> Integer(string name, int defaultValue, string description, int minimum) => new(name)
    {
        HelpName = "n",
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => Parse(result, name, text =>
            !int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? (0, "expected an integer")
            : value < minimum ? (0, $"must be at least {minimum}")
            : (value, null)),
    };

    private static Option<int?> OptionalInteger(string name, string description, int minimum) => new(name)
    {
        HelpName = "n",
        Description = description,
        CustomParser = result => Parse<int?>(result, name, text =>
            !int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? (null, "expected an integer")
            : value < minimum ? (null, $"must be at least {minimum}")
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
