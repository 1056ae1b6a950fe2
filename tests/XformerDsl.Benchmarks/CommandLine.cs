using System.Globalization;
using System.Text;

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

/// <summary>
/// The command line: the options (one table that both parses and documents them) and the usage text, which is built
/// from the option table, the suites (<see cref="BenchmarkSuite.All"/>) and the attention families
/// (<see cref="AttentionSuite.Families"/>), so a new family or suite shows up in <c>--help</c> without editing it.
/// </summary>
internal static class CommandLine
{
    /// <summary>An option: its name (other tools pass it, keep it), its value's shape, its help line, and how it sets the options.</summary>
    private sealed record Option(string Name, string Value, string Help, Func<BenchmarkOptions, string, BenchmarkOptions> Apply);

    private static readonly BenchmarkOptions s_defaults = new();

    private static readonly Option[] s_options =
    [
        new("--family", "<name>", $"attention family, one of the families below; generate: {OneOf(GenerateSuite.Families.Select(f => f.Family))} (default {s_defaults.Family})",
            (o, v) => o with { Family = v }),
        new("--window", "<n>", $"keys in each query's window, for the families that take one (default {s_defaults.Window})",
            (o, v) => o with { Window = Positive(v) }),
        new("--block", "<n>", $"block size or stride, for the families that take one (default {s_defaults.Block})",
            (o, v) => o with { Block = Positive(v) }),
        new("--seq", "<n,n,...>", $"sequence lengths, or tokens to generate (default {Join(s_defaults.Seq)}; memory: {Join(MemorySuite.DefaultSeq)})",
            (o, v) => o with { Seq = v.Split(',').Select(Positive).ToArray(), SeqGiven = true }),
        new("--depth", "<n,n,...>", $"memory: only the models of these depths (default {Join(s_defaults.Depth)})",
            (o, v) => o with { Depth = v.Split(',').Select(Positive).ToArray() }),
        new("--batch", "<n>", $"batch size (default {s_defaults.Batch})", (o, v) => o with { Batch = Positive(v) }),
        new("--heads", "<n>", $"heads (default {s_defaults.Heads})", (o, v) => o with { Heads = Positive(v) }),
        new("--head-dim", "<n>", $"head size, among those the family declares kernels for (default {s_defaults.HeadDim})",
            (o, v) => o with { HeadDim = Positive(v) }),
        new("--causal", "<bool>", $"causal or bidirectional (default {(s_defaults.Causal ? "true" : "false")})",
            (o, v) => o with { Causal = bool.Parse(v) }),
        new("--impl", "<a,b,...>", "only these implementations (default all)", (o, v) => o with { Impl = v.Split(',') }),
        new("--threads", "<n>", "threads for libtorch and the kernels (default: all cores)", (o, v) => o with { Threads = Positive(v) }),
        new("--warmup", "<n>", $"untimed runs before timing (default {s_defaults.Warmup})",
            (o, v) => o with { Warmup = int.Parse(v, CultureInfo.InvariantCulture) }),
        new("--repetitions", "<n>", $"timed runs; the median is reported (default {s_defaults.Repetitions})",
            (o, v) => o with { Repetitions = Positive(v) }),
        new("--max-seconds", "<x>", $"stop repeating a measurement after this long (default {Number(s_defaults.MaxSecondsPerMeasurement)})",
            (o, v) => o with { MaxSecondsPerMeasurement = double.Parse(v, CultureInfo.InvariantCulture) }),
        new("--reference-budget-gb", "<x>", $"skip the reference where its estimated memory exceeds this (default {Number(s_defaults.ReferenceBudgetGb)})",
            (o, v) => o with { ReferenceBudgetGb = double.Parse(v, CultureInfo.InvariantCulture) }),
        new("--json", "<file>", "also write the results as a JSON array to this file", (o, v) => o with { Json = v }),
    ];

    /// <summary>The help text: the suites, the options and the attention families, from their registries.</summary>
    public static string Usage
    {
        get
        {
            var text = new StringBuilder();
            text.AppendLine("Measures generated kernels against baselines in the same run: a table on the console and, with --json, a JSON array.");
            text.AppendLine();
            text.AppendLine("Usage: dotnet run -c Release --project tests/XformerDsl.Benchmarks -- <suite> [options]");
            text.AppendLine();
            text.AppendLine("Suites:");
            foreach (var suite in BenchmarkSuite.All)
                AppendEntry(text, suite.Name, suite.Help, 12);
            text.AppendLine();
            text.AppendLine("Options:");
            foreach (var option in s_options)
                AppendEntry(text, $"{option.Name} {option.Value}", option.Help, 24);
            text.AppendLine();
            text.AppendLine("Families (--family, attention suite):");
            foreach (var family in AttentionSuite.Families)
                AppendEntry(text, family.Name, family.Help, 12);
            return text.ToString().TrimEnd();
        }
    }

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
                var option = s_options.FirstOrDefault(o => o.Name == name) ?? throw new ArgumentException($"Unknown option '{name}'.");
                options = option.Apply(options, value);
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

    /// <summary>"a", "a or b", "a, b or c".</summary>
    public static string OneOf(IEnumerable<string> names)
    {
        var list = names.ToList();
        return list.Count <= 1 ? string.Join("", list) : string.Join(", ", list.Take(list.Count - 1)) + " or " + list[^1];
    }

    // "  name        help", the help wrapped at 120 columns and indented under itself.
    private static void AppendEntry(StringBuilder text, string name, string help, int nameWidth)
    {
        const int Width = 120;
        string indent = new(' ', 2 + nameWidth);
        var line = new StringBuilder(name.Length < nameWidth ? "  " + name.PadRight(nameWidth) : "  " + name + "  ");
        int lineLength = line.Length;
        bool atStart = true;
        foreach (var word in help.Split(' '))
        {
            if (!atStart && lineLength + 1 + word.Length > Width)
            {
                text.AppendLine(line.ToString());
                line.Clear().Append(indent);
                lineLength = indent.Length;
                atStart = true;
            }
            if (!atStart)
            {
                line.Append(' ');
                lineLength++;
            }
            line.Append(word);
            lineLength += word.Length;
            atStart = false;
        }
        text.AppendLine(line.ToString());
    }

    private static string Join(IEnumerable<int> values) => string.Join(",", values);

    private static string Number(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static int Positive(string text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new FormatException();
}
