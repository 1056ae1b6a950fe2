using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;

namespace LongContextExample;

/// <summary>The example's settings, from the command line.</summary>
internal sealed record Settings(int Seq, int Steps, double Minutes, int Generate);

/// <summary>The options, on System.CommandLine; <c>--help</c>, <c>-h</c> or <c>-?</c> prints them with their defaults.</summary>
internal static class CommandLine
{
    /// <summary>The settings, or null and the exit code: 0 after printing the help, 2 after printing an error naming the option.</summary>
    public static (Settings? Settings, int ExitCode) Parse(string[] args)
    {
        int maxLength = WindowedByteModel.Spec.MaxLength;
        var seq = Integer("--seq", maxLength, $"Bytes of context per training window, 2 to {maxLength} (the models' MaxLength)", minimum: 2, maximum: maxLength);
        var steps = Integer("--steps", 30, "Maximum optimizer steps per model", minimum: 1, maximum: int.MaxValue);
        var generate = Integer("--generate", 2048, $"Bytes each trained model then generates with Step, 1 to {maxLength}", minimum: 1, maximum: maxLength);
        var minutes = new Option<double>("--minutes")
        {
            HelpName = "m",
            Description = "Wall-time budget per model",
            DefaultValueFactory = _ => 4,
            CustomParser = result => Parse<double>(result, "--minutes", text =>
                double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) && value > 0
                    ? (value, null) : (0, "expected a positive number")),
        };
        var root = new RootCommand(
            "Trains byte-level models over long contexts with the same budget, with sliding-window attention (full attention " +
            "every fourth layer), LSH attention and full attention in every layer, then generates with each token by token " +
            "(Step); prints how fast each trains and generates and plots their losses in runs/longcontext/.\n" +
            "Run: dotnet run -c Release --project examples/LongContext -- [options]")
        {
            seq, steps, minutes, generate,
        };
        Settings? settings = null;
        root.SetAction(result => settings = new Settings(result.GetValue(seq), result.GetValue(steps), result.GetValue(minutes), result.GetValue(generate)));

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

    // "--seq x: expected an integer from 2 to 8192." names the option and the value.
    private static T Parse<T>(ArgumentResult result, string name, Func<string, (T Value, string? Error)> parse)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        var (value, error) = parse(text);
        if (error is not null)
            result.AddError($"{name} {text}: {error}.");
        return value;
    }
}
