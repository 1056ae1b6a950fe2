using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;
using XformerDsl.Attention.Linear;

namespace T2RSwapExample;

/// <summary>
/// The example's settings, from the command line. The defaults are the quick comparison (under 4 minutes on 2 idle
/// cores, measured); <c>--full</c> pretrains 3,000 steps instead of 400, and every run scales with it.
/// </summary>
internal sealed record Settings
{
    public const int QuickPretrainSteps = 400, FullPretrainSteps = 3000;

    public int PretrainSteps { get; init; } = QuickPretrainSteps;
    public int? FinetuneSteps { get; init; }
    public int Batch { get; init; } = 16;
    public int Seq { get; init; } = 128;
    public double PretrainLearningRate { get; init; } = 2e-3;
    public double FinetuneLearningRate { get; init; } = 1e-3;
    public int Tokens { get; init; } = SoftmaxGpt.Spec.MaxLength;
    public double DistillWeight { get; init; } = 1.0;
    public double Temperature { get; init; } = 2.0;
    public int Seed { get; init; } = 7;
    public string Out { get; init; } = Path.Combine("runs", "t2rswap");
    public string? Json { get; init; }
    public string Progress { get; init; } = "auto";
    public LearnedReluInitialisation FeatureInit { get; init; } = LearnedReluInitialisation.Normal;

    /// <summary>Finetuning steps: as given, else a fifth of the pretraining (the paper finetunes for a fraction of it).</summary>
    public int Finetune => FinetuneSteps ?? Math.Max(1, PretrainSteps / 5);
}

/// <summary>
/// The options, on System.CommandLine: <c>--name value</c> or <c>--name=value</c>; <c>--help</c>, <c>-h</c> or <c>-?</c>
/// prints them with their defaults.
/// </summary>
internal static class CommandLine
{
    /// <summary>The settings, or null and the exit code: 0 after printing the help, 2 after printing an error naming the option and value.</summary>
    public static (Settings? Settings, int ExitCode) Parse(string[] args)
    {
        var d = new Settings();
        int maxLength = SoftmaxGpt.Spec.MaxLength;
        var full = new Option<bool>("--full") { Description = $"The long comparison: {Settings.FullPretrainSteps} pretraining steps instead of {Settings.QuickPretrainSteps} (unless --pretrain-steps is given)" };
        var pretrainSteps = Integer("--pretrain-steps", null, $"Steps of the softmax model's pretraining (default {Settings.QuickPretrainSteps}, {Settings.FullPretrainSteps} with --full)", 1, int.MaxValue);
        var finetuneSteps = Integer("--finetune-steps", null, "Steps of each swap-then-finetune run (default: a fifth of the pretraining steps); from-scratch runs train pretraining + finetuning steps", 1, int.MaxValue);
        var batch = Integer("--batch", d.Batch, "Windows per batch", 1, int.MaxValue);
        var seq = Integer("--seq", d.Seq, $"Tokens per training window, 1 to {maxLength}", 1, maxLength);
        var pretrainLr = Number("--lr", d.PretrainLearningRate, "Peak learning rate of pretraining and of the from-scratch runs");
        var finetuneLr = Number("--finetune-lr", d.FinetuneLearningRate, "Peak learning rate of finetuning after the swap");
        var tokens = Integer("--tokens", d.Tokens, $"Tokens each model generates when generation is timed, 1 to {maxLength} (MaxLength)", 1, maxLength);
        var distillWeight = Number("--distill-weight", d.DistillWeight, "Weight of the KL term of the distilled finetuning run (loss = cross-entropy + weight × T² × KL)");
        var temperature = Number("--temperature", d.Temperature, "Temperature T of the distilled run's softened distributions");
        var seed = Integer("--seed", d.Seed, "Seed of the weights and the batches", int.MinValue, int.MaxValue);
        var output = new Option<string>("--out") { HelpName = "dir", Description = "Where the softmax checkpoint (reused by later runs with the same settings) and the plots go", DefaultValueFactory = _ => d.Out };
        var json = new Option<string?>("--json") { HelpName = "file", Description = "Also write the rows as a JSON array, one object per row" };
        var featureInit = new Option<string>("--feature-init")
        {
            HelpName = "kind",
            Description = "How T2R's new W and b start after the swap: normal (W ~ N(0, 1/headDim), b = 0, the generated models' own) | paper (W and b uniform in ±1/√headDim, as T2R's code)",
            DefaultValueFactory = _ => "normal",
            CustomParser = result => Parse(result, "--feature-init", text =>
                text is "normal" or "paper" ? (text, null) : (text, "expected normal or paper")),
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
            "T2R's comparison in miniature (Kasai et al., 2021): pretrains a small softmax GPT on this repository's text, swaps " +
            "its attention for T2R (learned ReLU features), ELU and FAVOR+ and finetunes each, trains the same linear models " +
            "from scratch for as many steps, compares T2R with 8 to 64 features and finetuning with distillation from the " +
            "softmax model, and times generation with Step. Prints the tables; plots in --out.\n" +
            "Run: dotnet run -c Release --project examples/T2RSwap -- [options]")
        {
            full, pretrainSteps, finetuneSteps, batch, seq, pretrainLr, finetuneLr, tokens, distillWeight, temperature, seed, featureInit, output, json, progress,
        };
        Settings? settings = null;
        root.SetAction(result => settings = new Settings
        {
            PretrainSteps = result.GetValue(pretrainSteps) ?? (result.GetValue(full) ? Settings.FullPretrainSteps : Settings.QuickPretrainSteps),
            FinetuneSteps = result.GetValue(finetuneSteps),
            Batch = result.GetValue(batch)!.Value,
            Seq = result.GetValue(seq)!.Value,
            PretrainLearningRate = result.GetValue(pretrainLr),
            FinetuneLearningRate = result.GetValue(finetuneLr),
            Tokens = result.GetValue(tokens)!.Value,
            DistillWeight = result.GetValue(distillWeight),
            Temperature = result.GetValue(temperature),
            Seed = result.GetValue(seed)!.Value,
            Out = result.GetValue(output)!,
            Json = result.GetValue(json),
            Progress = result.GetValue(progress)!,
            FeatureInit = Enum.Parse<LearnedReluInitialisation>(result.GetValue(featureInit)!, ignoreCase: true),
        });

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

    // An integer option in [minimum, maximum]; null default means "derived from other options".
    private static Option<int?> Integer(string name, int? defaultValue, string description, int minimum, int maximum) => new(name)
    {
        HelpName = "n",
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => Parse<int?>(result, name, text =>
            !int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? (null, "expected an integer")
            : value < minimum || value > maximum ? (null, maximum == int.MaxValue ? "must be positive" : $"expected an integer from {minimum} to {maximum}")
            : (value, null)),
    };

    // A positive number.
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

    // "--tokens x: expected an integer." names the option and the value.
    private static T Parse<T>(ArgumentResult result, string name, Func<string, (T Value, string? Error)> parse)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        var (value, error) = parse(text);
        if (error is not null)
            result.AddError($"{name} {text}: {error}.");
        return value;
    }
}
