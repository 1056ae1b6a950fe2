using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text;

namespace XformerDsl.Benchmarks;

/// <summary>Options shared by the suites, from <c>--name value</c> pairs.</summary>
internal sealed record BenchmarkOptions
{
    public string Family { get; init; } = "full";
    public int[] Seq { get; init; } = [1024, 2048, 4096];
    public bool SeqGiven { get; init; }

    /// <summary>The keys' length for the families that attend to another sequence (cross); null: each --seq.</summary>
    public int? SourceSeq { get; init; }
    public int[] Depth { get; init; } = [2, 12];
    public int Batch { get; init; } = 1;
    public int Heads { get; init; } = 8;
    public bool HeadsGiven { get; init; }
    public string Kind { get; init; } = ConvSuite.Kinds[0];
    public string Mode { get; init; } = SynthesizerAttentionBenchmark.Modes[0];
    public int[] Kernel { get; init; } = [.. ConvSuite.KernelSizes];
    public int Channels { get; init; } = ConvSuite.DefaultChannels;
    public int HeadDim { get; init; } = 64;
    public bool Causal { get; init; } = true;
    public int Window { get; init; } = 256;
    public int Block { get; init; } = 64;

    /// <summary>lowrank: the rows keys and values are projected to (Linformer's k).</summary>
    public int Projected { get; init; } = 256;

    /// <summary>xl: memory positions before each segment.</summary>
    public int Memory { get; init; } = 1024;

    /// <summary>compressed: positions per compressed slot.</summary>
    public int Ratio { get; init; } = 4;

    /// <summary>induced: inducing points.</summary>
    public int Points { get; init; } = 32;
    public string[] Impl { get; init; } = [];
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// <c>--reuse-allocations</c>: run under <see cref="XformerDsl.Training.NativeMemoryPolicy.ReuseLargeAllocations"/>,
    /// the allocator policy an application may opt in to (every implementation alike); off by default, as in a process
    /// that does not opt in.
    /// </summary>
    public bool ReuseAllocations { get; init; }
    public int Warmup { get; init; } = 2;
    public int Repetitions { get; init; } = 5;
    /// <summary>
    /// How long a measurement may keep repeating (<c>--max-seconds</c>); null for the suite's own default: 20 s, or
    /// <see cref="ModelSuite.DefaultMaxSeconds"/> for the model suite.
    /// </summary>
    public double? MaxSecondsPerMeasurement { get; init; }

    /// <summary>The default of <c>--max-seconds</c> for the suites other than the model suite.</summary>
    public const double DefaultMaxSeconds = 20;

    /// <summary>The time budget of one measurement: <c>--max-seconds</c>, or <paramref name="suiteDefault"/> seconds.</summary>
    public TimeSpan Budget(double suiteDefault = DefaultMaxSeconds) => TimeSpan.FromSeconds(MaxSecondsPerMeasurement ?? suiteDefault);
    public double ReferenceBudgetGb { get; init; } = 12;
    public string? Json { get; init; }

    /// <summary>The PNG to draw: after a suite, its results; for the plot command, the JSON files' (<see cref="BenchmarkPlot"/>).</summary>
    public string? Plot { get; init; }

    /// <summary>The plot command's JSON files, as written by <c>--json</c>.</summary>
    public string[] PlotInputs { get; init; } = [];
}

/// <summary>
/// The command line, parsed by System.CommandLine: a command per suite (<see cref="BenchmarkSuite.All"/>) taking the
/// options below, and the plot command. The options live in one table that both defines and documents them; the usage
/// text is built from it, the suites and the attention families (<see cref="AttentionSuite.Families"/>), so a new family
/// or suite shows up in <c>--help</c> without editing it.
/// </summary>
internal static class CommandLine
{
    /// <summary>The command that draws JSON results (not a suite: it measures nothing).</summary>
    public const string PlotCommand = "plot";

    private static readonly BenchmarkOptions s_defaults = new();

    /// <summary>An option: its name (other tools pass it, keep it), its value's shape and help line, and how it is read and applied.</summary>
    private abstract record Entry(string Name, string Value, string Help)
    {
        /// <summary>A new System.CommandLine option for this entry (one per command that takes it).</summary>
        public abstract Option CreateOption();

        /// <summary>The options with this entry's value applied, if the command line gave one.</summary>
        public abstract BenchmarkOptions Apply(ParseResult result, Option option, BenchmarkOptions options);
    }

    /// <summary>
    /// An entry whose text converts to a <typeparamref name="T"/>; a <see cref="FormatException"/> is the error
    /// "--name value: not a valid value.". System.CommandLine reads the text (an option of string, so that a bare
    /// <c>--causal</c> is not read as true, as it would be for an option of bool) and reports the error.
    /// </summary>
    private sealed record Entry<T>(string Name, string Value, string Help, Func<string, T> Convert, Func<BenchmarkOptions, T, BenchmarkOptions> Set)
        : Entry(Name, Value, Help)
    {
        public override Option CreateOption() => new Option<string>(Name)
        {
            HelpName = Value.Trim('<', '>'),
            Description = Help,
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
                try
                {
                    Convert(text);
                }
                catch (Exception e) when (e is FormatException or OverflowException)
                {
                    result.AddError($"{Name} {text}: not a valid value.");
                }
                return text;
            },
        };

        public override BenchmarkOptions Apply(ParseResult result, Option option, BenchmarkOptions options) =>
            result.GetValue((Option<string>)option) is { } text ? Set(options, Convert(text)) : options;
    }

    private static readonly Entry[] s_options =
    [
        new Entry<string>("--family", "<name>", $"attention family, one of the families below; generate: {OneOf(GenerateSuite.Families.Select(f => f.Family))} (default {s_defaults.Family})",
            v => v, (o, v) => o with { Family = v }),
        new Entry<int>("--window", "<n>", $"keys in each query's window, for the families that take one (default {s_defaults.Window})",
            Positive, (o, v) => o with { Window = v }),
        new Entry<int>("--block", "<n>", $"block size or stride, for the families that take one (default {s_defaults.Block})",
            Positive, (o, v) => o with { Block = v }),
        new Entry<int>("--ratio", "<n>", $"positions per compressed slot, for the compressed family (default {s_defaults.Ratio})", Positive, (o, v) => o with { Ratio = v }),
        new Entry<int>("--points", "<n>", $"induced: inducing points (default {s_defaults.Points})", Positive, (o, v) => o with { Points = v }),
        new Entry<int[]>("--seq", "<n,n,...>", $"sequence lengths, or tokens to generate (default {Join(s_defaults.Seq)}; memory: {Join(MemorySuite.DefaultSeq)}; conv: {Join(ConvSuite.DefaultSeq)})",
            v => v.Split(',').Select(Positive).ToArray(), (o, v) => o with { Seq = v, SeqGiven = true }),
        new Entry<int>("--source-seq", "<n>", "cross: keys and values (the source) of this length for every --seq, the queries' (default: each --seq)",
            Positive, (o, v) => o with { SourceSeq = v }),
        new Entry<int>("--projected", "<n>", $"lowrank: rows keys and values are projected to, at most {LowRankAttentionBenchmark.MaxLength} (default {s_defaults.Projected})",
            Positive, (o, v) => o with { Projected = v }),
        new Entry<int>("--memory", "<n>", $"xl: memory positions each segment attends to before itself (default {s_defaults.Memory})", Positive, (o, v) => o with { Memory = v }),
        new Entry<int[]>("--depth", "<n,n,...>", $"memory: only the models of these depths (default {Join(s_defaults.Depth)})",
            v => v.Split(',').Select(Positive).ToArray(), (o, v) => o with { Depth = v }),
        new Entry<int>("--batch", "<n>", $"batch size (default {s_defaults.Batch})", Positive, (o, v) => o with { Batch = v }),
        new Entry<int>("--heads", "<n>", $"heads (default {s_defaults.Heads}; conv: {ConvSuite.DefaultHeads})", Positive, (o, v) => o with { Heads = v, HeadsGiven = true }),
        new Entry<int>("--head-dim", "<n>", $"head size, among those the family declares kernels for (default {s_defaults.HeadDim})",
            Positive, (o, v) => o with { HeadDim = v }),
        new Entry<string>("--mode", "<name>", $"synthesizer: {OneOf(SynthesizerAttentionBenchmark.Modes)} logits (default {s_defaults.Mode})", v => v, (o, v) => o with { Mode = v }),
        new Entry<string>("--kind", "<name>", $"conv: {CommandLine.OneOf(ConvSuite.Kinds)} convolution (default {s_defaults.Kind})", v => v, (o, v) => o with { Kind = v }),
        new Entry<int[]>("--kernel", "<n,n,...>", $"conv: kernel sizes, among {Join(ConvSuite.KernelSizes)} (default {Join(s_defaults.Kernel)})",
            v => v.Split(',').Select(Positive).ToArray(), (o, v) => o with { Kernel = v }),
        new Entry<int>("--channels", "<n>", $"conv: channels (default {s_defaults.Channels})", Positive, (o, v) => o with { Channels = v }),
        new Entry<bool>("--causal", "<bool>", $"causal or bidirectional; conv: causal or centred (default {(s_defaults.Causal ? "true" : "false")})",
            bool.Parse, (o, v) => o with { Causal = v }),
        new Entry<string[]>("--impl", "<a,b,...>", "only these implementations (default all)", v => v.Split(','), (o, v) => o with { Impl = v }),
        new Entry<int>("--threads", "<n>", "threads for libtorch and the kernels (default: all cores)", Positive, (o, v) => o with { Threads = v }),
        new Entry<bool>("--reuse-allocations", "<bool>", "run under NativeMemoryPolicy.ReuseLargeAllocations, large blocks kept in the heap for reuse (default false)",
            bool.Parse, (o, v) => o with { ReuseAllocations = v }),
        new Entry<int>("--warmup", "<n>", $"untimed runs before timing (default {s_defaults.Warmup})",
            v => int.Parse(v, CultureInfo.InvariantCulture), (o, v) => o with { Warmup = v }),
        new Entry<int>("--repetitions", "<n>", $"timed runs; the median is reported (default {s_defaults.Repetitions})",
            Positive, (o, v) => o with { Repetitions = v }),
        new Entry<double>("--max-seconds", "<x>", $"stop repeating a measurement after this long (default {Number(BenchmarkOptions.DefaultMaxSeconds)}; model: {Number(ModelSuite.DefaultMaxSeconds)})",
            v => double.Parse(v, CultureInfo.InvariantCulture), (o, v) => o with { MaxSecondsPerMeasurement = v }),
        new Entry<double>("--reference-budget-gb", "<x>", $"skip the reference where its estimated memory exceeds this (default {Number(s_defaults.ReferenceBudgetGb)})",
            v => double.Parse(v, CultureInfo.InvariantCulture), (o, v) => o with { ReferenceBudgetGb = v }),
        new Entry<string>("--json", "<file>", "also write the results as a JSON array to this file", v => v, (o, v) => o with { Json = v }),
        new Entry<string>("--plot", "<png>", $"also draw the results as a PNG (as the {PlotCommand} command does)", v => v, (o, v) => o with { Plot = v }),
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
            text.AppendLine($"       dotnet run -c Release --project tests/XformerDsl.Benchmarks -- {PlotCommand} <file.json>... [--plot <png>]");
            text.AppendLine();
            text.AppendLine("Suites:");
            foreach (var suite in BenchmarkSuite.All)
                AppendEntry(text, suite.Name, suite.Help, 12);
            text.AppendLine();
            text.AppendLine("Options:");
            foreach (var option in s_options)
                AppendEntry(text, $"{option.Name} {option.Value}", option.Help, 24);
            AppendEntry(text, "-h, --help", "show this help", 24);
            text.AppendLine();
            text.AppendLine("Plot:");
            AppendEntry(text, PlotCommand, BenchmarkPlot.Help, 12);
            text.AppendLine();
            text.AppendLine("Families (--family, attention suite):");
            foreach (var family in AttentionSuite.Families)
                AppendEntry(text, family.Name, family.Help, 12);
            return text.ToString().TrimEnd();
        }
    }

    /// <summary>
    /// The suite (or <see cref="PlotCommand"/>) and its options; all null for help (no arguments, <c>help</c>,
    /// <c>--help</c> or <c>-h</c>); or the suite and an error naming the offending argument.
    /// </summary>
    public static (string? Suite, BenchmarkOptions? Options, string? Error) Parse(string[] args)
    {
        if (args.Length == 0 || args[0] == "help")
            return (null, null, null);
        if (!args[0].StartsWith('-') && args[0] != PlotCommand && BenchmarkSuite.All.All(s => s.Name != args[0]))
            return (args[0], null, $"Unknown suite '{args[0]}'.");

        var root = new RootCommand(Usage);
        var options = new List<(Entry Entry, Option Option)>();
        foreach (var suite in BenchmarkSuite.All)
        {
            var command = new Command(suite.Name, suite.Help);
            foreach (var entry in s_options)
            {
                var option = entry.CreateOption();
                command.Add(option);
                options.Add((entry, option));
            }
            root.Add(command);
        }
        var plot = new Command(PlotCommand, BenchmarkPlot.Help);
        var inputs = new Argument<string[]>("file.json") { Arity = ArgumentArity.OneOrMore };
        var plotPath = s_options.Single(o => o.Name == "--plot");
        var plotOption = plotPath.CreateOption();
        plot.Add(inputs);
        plot.Add(plotOption);
        options.Add((plotPath, plotOption));
        root.Add(plot);

        var result = root.Parse(args);
        if (result.Action is HelpAction)
            return (null, null, null);
        var name = result.CommandResult.Command == root ? null : result.CommandResult.Command.Name;
        if (result.Errors.Count > 0)
            return (name ?? args[0], null, string.Join(Environment.NewLine, result.Errors.Select(e => e.Message)));
        if (name is null)
            return (args[0], null, $"Expected a suite first ({OneOf(BenchmarkSuite.All.Select(s => s.Name))}) or {PlotCommand}.");

        var parsed = new BenchmarkOptions();
        foreach (var (entry, option) in options)
            parsed = entry.Apply(result, option, parsed);
        if (name == PlotCommand)
            parsed = parsed with { PlotInputs = result.GetValue(inputs) ?? [] };
        else if (parsed.Plot is not null && name is "generate" or "conv")
            return (name, null, $"--plot draws the attention and memory suites' results, not {name}'s.");
        return (name, parsed, null);
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
