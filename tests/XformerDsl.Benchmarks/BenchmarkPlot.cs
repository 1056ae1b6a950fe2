using System.Globalization;
using System.Text.Json;
using ScottPlot;
using ScottPlot.TickGenerators;
using XformerDsl.Training;

namespace XformerDsl.Benchmarks;

/// <summary>
/// One PNG of results as <c>--json</c> writes them: time (forward+backward, solid, and forward alone, dashed) and peak
/// memory against sequence length, a line per implementation, on log-log axes. Reads the attention suite's rows (a
/// line per impl, per family and impl when the files hold several families) and the memory suite's (a line per depth
/// and kind of block, its step time as the time).
/// </summary>
internal static class BenchmarkPlot
{
    /// <summary>The plot command's line in the usage text.</summary>
    public const string Help =
        "draws <file.json>... as written by --json (attention or memory suite) into one PNG: time (fwd+bwd and forward) " +
        "and peak memory against sequence length, a line per implementation, log-log; to --plot <png> (default: the first " +
        "file's name with .png)";

    /// <summary>The image's size in pixels: the time plot on the left, the memory plot on the right.</summary>
    public const int Width = 1200, Height = 500;

    /// <summary>A point of a line: the values of one JSON row that the plot draws.</summary>
    /// <param name="Line">The legend's name of the line: the impl, or the memory suite's depth and blocks.</param>
    /// <param name="TimeMs">forwardBackwardMs (attention) or stepMs (memory); null when the run was skipped.</param>
    /// <param name="ForwardMs">forwardMs (attention); null otherwise.</param>
    internal sealed record Point(string Suite, string Family, string Line, int Seq, double? TimeMs, double? ForwardMs, double? PeakMemoryMb);

    /// <summary>The points of these JSON files.</summary>
    /// <exception cref="ArgumentException">A file holds no rows, or rows of a suite the plot does not draw.</exception>
    public static List<Point> Read(IEnumerable<string> paths)
    {
        var points = new List<Point>();
        foreach (var path in paths)
        {
            try
            {
                points.AddRange(FromJson(File.ReadAllText(path)));
            }
            catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or KeyNotFoundException or FormatException)
            {
                throw new ArgumentException($"{path}: {e.Message}", e);
            }
        }
        // Several attention families in one plot: their impls are told apart by family.
        if (points.Where(p => p.Suite == "attention").Select(p => p.Family).Distinct().Count() > 1)
            points = points.Select(p => p.Suite == "attention" ? p with { Line = $"{p.Family} {p.Line}" } : p).ToList();
        return points;
    }

    /// <summary>The points of one JSON array as the attention or memory suite writes it.</summary>
    public static List<Point> FromJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Array || document.RootElement.GetArrayLength() == 0)
            throw new ArgumentException("expected a non-empty JSON array of results, as --json writes.");
        var points = new List<Point>();
        foreach (var row in document.RootElement.EnumerateArray())
        {
            string suite = row.GetProperty("suite").GetString() ?? "";
            string family = row.GetProperty("family").GetString() ?? "";
            int seq = row.GetProperty("seq").GetInt32();
            double? peak = Number(row, "peakMemoryMb");
            points.Add(suite switch
            {
                "attention" => new Point(suite, family, row.GetProperty("impl").GetString() ?? "", seq, Number(row, "forwardBackwardMs"), Number(row, "forwardMs"), peak),
                "memory" => new Point(suite, family, $"depth {row.GetProperty("depth").GetInt32()}, {(row.GetProperty("reversible").GetBoolean() ? "reversible" : "plain")}",
                    seq, Number(row, "stepMs"), null, peak),
                _ => throw new ArgumentException($"rows of the {suite} suite: the plot draws the attention and memory suites' results."),
            });
        }
        return points;
    }

    /// <summary>Draws the points into a PNG at <paramref name="path"/>, creating its directory; returns the path.</summary>
    public static string Save(IReadOnlyList<Point> points, string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
            Directory.CreateDirectory(directory);
        var (time, memory) = Create(points);
        var multiplot = new Multiplot(time);
        multiplot.AddPlot(memory);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        multiplot.SavePng(path, Width, Height);
        return path;
    }

    /// <summary>The two plots: time and peak memory against sequence length.</summary>
    internal static (Plot Time, Plot Memory) Create(IReadOnlyList<Point> points)
    {
        var lines = points.Select(p => p.Line).Distinct().ToList();
        var seqs = points.Select(p => p.Seq).Distinct().Order().ToArray();
        bool attention = points.Any(p => p.Suite == "attention");
        var families = string.Join(", ", points.Select(p => p.Family).Distinct());
        var time = NewPlot(attention ? $"{families} attention: time (solid fwd+bwd, dashed forward)" : $"{families} model: one training step",
            attention ? "milliseconds" : "step time (ms)", seqs);
        var memory = NewPlot(attention ? $"{families} attention: peak memory of fwd+bwd" : $"{families} model: peak memory of a step",
            "peak memory (MiB)", seqs);
        for (int i = 0; i < lines.Count; i++)
        {
            var color = time.Add.Palette.GetColor(i);
            var of = points.Where(p => p.Line == lines[i]).OrderBy(p => p.Seq).ToList();
            AddLine(time, of, p => p.TimeMs, color, attention ? $"{lines[i]} fwd+bwd" : lines[i], dashed: false);
            if (attention)
                AddLine(time, of, p => p.ForwardMs, color, $"{lines[i]} forward", dashed: true);
            AddLine(memory, of, p => p.PeakMemoryMb, color, lines[i], dashed: false);
        }
        time.ShowLegend(Alignment.UpperLeft);
        memory.ShowLegend(Alignment.UpperLeft);
        return (time, memory);
    }

    // A plot whose axes show log10 of the values: the sequence lengths measured below, powers of ten with minor ticks at the side.
    private static Plot NewPlot(string title, string yLabel, int[] seqs)
    {
        var plot = new Plot();
        PlotFont.Apply(plot);
        plot.Title(title, size: 14);
        plot.XLabel("sequence length (log)");
        plot.YLabel(yLabel + " (log)");
        plot.Axes.Bottom.TickGenerator = new NumericManual(
            seqs.Select(s => Math.Log10(s)).ToArray(), seqs.Select(s => s.ToString(CultureInfo.InvariantCulture)).ToArray());
        plot.Axes.Left.TickGenerator = new NumericAutomatic
        {
            MinorTickGenerator = new LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Format(Math.Pow(10, y)),
        };
        return plot;
    }

    private static void AddLine(Plot plot, List<Point> points, Func<Point, double?> value, Color color, string label, bool dashed)
    {
        var measured = points.Where(p => value(p) is double v && v > 0).ToList();
        if (measured.Count == 0)
            return;
        var line = plot.Add.Scatter(measured.Select(p => Math.Log10(p.Seq)).ToArray(), measured.Select(p => Math.Log10(value(p)!.Value)).ToArray(), color);
        line.LegendText = label;
        line.LineWidth = 2;
        line.MarkerSize = 6;
        if (dashed)
            line.LinePattern = LinePattern.Dashed;
    }

    private static double? Number(JsonElement row, string name) =>
        row.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    private static string Format(double value) =>
        value >= 1 ? value.ToString("N0", CultureInfo.InvariantCulture) : value.ToString("G2", CultureInfo.InvariantCulture);
}
