// Benchmarks of the generated kernels against baselines measured in the same run. See CommandLine.Usage.
using System.Text.Json;
using Spectre.Console;
using TorchSharp;
using XformerDsl.Benchmarks;
using XformerDsl.Kernels;

var (suite, options, error) = CommandLine.Parse(args);
if (options is null)
{
    if (error is not null)
        Console.Error.WriteLine(error);
    Console.WriteLine(CommandLine.Usage);
    return error is null ? 0 : 2;
}

if (suite == CommandLine.PlotCommand)
{
    try
    {
        var png = options.Plot ?? Path.ChangeExtension(options.PlotInputs[0], ".png");
        AnsiConsole.MarkupLine($"wrote [link]{Markup.Escape(BenchmarkPlot.Save(BenchmarkPlot.Read(options.PlotInputs), png))}[/]");
        return 0;
    }
    catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine(e.Message);
        return 2;
    }
}

torch.set_num_threads(options.Threads);
// The policy is process-wide, so it is set before anything is allocated and named in the header of every result.
string allocator = !options.ReuseAllocations ? "the C library's default allocation"
    : XformerDsl.Training.NativeMemoryPolicy.ReuseLargeAllocations() ? "large allocations kept in the heap (--reuse-allocations)"
    : "--reuse-allocations not available here (not glibc): the C library's default allocation";
AnsiConsole.MarkupLine($"[bold]{Markup.Escape(suite!)}[/] on {Markup.Escape(Machine.Cpu)}, {Environment.ProcessorCount} cores, {options.Threads} threads, {SimdWidth.Name} SIMD, TorchSharp {typeof(torch).Assembly.GetName().Version}, {Markup.Escape(allocator)}");

try
{
    var chosen = BenchmarkSuite.All.FirstOrDefault(s => s.Name == suite);
    if (chosen is null)
    {
        Console.Error.WriteLine($"Unknown suite '{suite}'.");
        Console.WriteLine(CommandLine.Usage);
        return 2;
    }
    var (table, results) = chosen.Run(options);
    AnsiConsole.Write(table);
    var json = JsonSerializer.Serialize(results, results.GetType(), new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true });
    if (options.Json is { } path)
        Write(path, json + "\n");
    // The plot is drawn from the JSON, as the plot command draws a file written by --json.
    if (options.Plot is { } png)
        AnsiConsole.MarkupLine($"wrote [link]{Markup.Escape(BenchmarkPlot.Save(BenchmarkPlot.FromJson(json), png))}[/]");
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
return 0;

// The rows as a JSON array (serialised as their runtime type, a list of the suite's result records), to a file.
static void Write(string path, string json)
{
    var directory = Path.GetDirectoryName(Path.GetFullPath(path));
    if (directory is not null)
        Directory.CreateDirectory(directory);
    File.WriteAllText(path, json);
    AnsiConsole.MarkupLine($"wrote [link]{Markup.Escape(path)}[/]");
}
