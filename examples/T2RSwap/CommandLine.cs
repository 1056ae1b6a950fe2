using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;

namespace T2RSwapExample;

/// <summary>The example's settings, from the command line.</summary>
internal sealed record Settings(int SoftmaxSteps, int FinetuneSteps, int GeneratedTokens);

/// <summary>
/// The command line, on System.CommandLine: three optional positional arguments; <c>--help</c>, <c>-h</c> or <c>-?</c>
/// prints them with their defaults.
/// </summary>
internal static class CommandLine
{
    /// <summary>The settings, or null and the exit code: 0 after printing the help, 2 after printing an error naming the argument.</summary>
    public static (Settings? Settings, int ExitCode) Parse(string[] args)
    {
        int maxLength = SoftmaxGpt.Spec.MaxLength;
        var softmaxSteps = Integer("softmaxSteps", 50, "Training steps of the softmax model", maximum: int.MaxValue);
        var finetuneSteps = Integer("finetuneSteps", 30, "Finetuning steps of the converted linear-attention model", maximum: int.MaxValue);
        var tokens = Integer("tokens", 256, $"Tokens each model generates when generation is timed, 1 to {maxLength} (MaxLength)", maximum: maxLength);
        var root = new RootCommand(
            "Swap-then-finetune (T2R): trains a small softmax GPT, converts it to learned-feature linear attention with the " +
            "generated ConvertFrom, finetunes it, and compares validation perplexity and generation speed and memory; " +
            "plots both trainings' losses in runs/t2rswap/.\n" +
            "Run: dotnet run -c Release --project examples/T2RSwap -- [softmaxSteps] [finetuneSteps] [tokens]")
        {
            softmaxSteps, finetuneSteps, tokens,
        };
        Settings? settings = null;
        root.SetAction(result => settings = new Settings(result.GetValue(softmaxSteps), result.GetValue(finetuneSteps), result.GetValue(tokens)));

        var parsed = root.Parse(args);
        if (parsed.Action is not HelpAction && parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
                Console.Error.WriteLine(error.Message);
            Console.Error.WriteLine("Run with --help for the arguments.");
            return (null, 2);
        }
        int exitCode = parsed.Invoke();
        return (settings, exitCode);
    }

    // A positive integer argument; "finetuneSteps x: expected an integer from 1 to ..." names it and the value.
    private static Argument<int> Integer(string name, int defaultValue, string description, int maximum) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 1 && value <= maximum)
                return value;
            if (text.StartsWith('-') && !int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
                result.AddError($"Unknown option '{text}': the example takes up to three numbers, [softmaxSteps] [finetuneSteps] [tokens].");
            else
                result.AddError($"{name} {text}: expected {(maximum == int.MaxValue ? "a positive integer" : $"an integer from 1 to {maximum}")}.");
            return 0;
        },
    };
}
