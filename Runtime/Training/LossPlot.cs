using System.Collections.Immutable;
using ScottPlot;
using SkiaSharp;

namespace XformerDsl.Training;

/// <summary>
/// A PNG of a finished run's training and validation loss against tokens trained, from its <see cref="TrainingReport"/>:
/// what the examples write next to their checkpoint (e.g. <c>runs/tinygpt/loss.png</c>).
/// </summary>
public static class LossPlot
{
    /// <summary>The image's width in pixels.</summary>
    public const int Width = 800;

    /// <summary>The image's height in pixels.</summary>
    public const int Height = 500;

    /// <summary>
    /// Draws the report's losses against tokens trained (step × <paramref name="tokensPerStep"/>) and saves them as a
    /// PNG at <paramref name="path"/>, creating its directory. Returns the path.
    /// </summary>
    /// <param name="report">A finished run.</param>
    /// <param name="tokensPerStep">Tokens in one optimizer step: batch size × sequence length.</param>
    /// <param name="path">Where the PNG goes.</param>
    /// <param name="modelName">The model's name, for the title.</param>
    public static string Save(TrainingReport report, long tokensPerStep, string path, string modelName)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokensPerStep, 1);
        var plot = Create(report, tokensPerStep, modelName);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
            Directory.CreateDirectory(directory);
        plot.SavePng(path, Width, Height);
        return path;
    }

    /// <summary>The plot <see cref="Save"/> draws: one scatter line for training loss, one for validation loss.</summary>
    internal static Plot Create(TrainingReport report, long tokensPerStep, string modelName)
    {
        var plot = new Plot();
        PlotFont.Apply(plot);
        var (train, validation) = Series(report, tokensPerStep);
        if (train.Length > 0)
        {
            var line = plot.Add.Scatter(train.Select(p => p.Tokens).ToArray(), train.Select(p => p.Loss).ToArray());
            line.LegendText = "train (mean since the previous point)";
            line.LineWidth = 2;
        }
        if (validation.Length > 0)
        {
            var line = plot.Add.Scatter(validation.Select(p => p.Tokens).ToArray(), validation.Select(p => p.Loss).ToArray());
            line.LegendText = "validation";
            line.LineWidth = 2;
        }
        plot.Title($"{modelName}: loss against tokens trained");
        plot.XLabel("tokens trained");
        plot.YLabel("cross-entropy (nats per token)");
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    /// <summary>
    /// The points plotted. Training: the first batch's loss at 0 tokens, each validation pass's mean training loss since
    /// the pass before, and the final training loss when the run went on past the last pass. Validation: every pass.
    /// </summary>
    internal static (ImmutableArray<(double Tokens, double Loss)> Train, ImmutableArray<(double Tokens, double Loss)> Validation) Series(TrainingReport report, long tokensPerStep)
    {
        var train = ImmutableArray.CreateBuilder<(double, double)>();
        if (double.IsFinite(report.InitialLoss))
            train.Add((0, report.InitialLoss));
        int lastStep = 0;
        foreach (var point in report.Evaluations)
        {
            if (point.TrainLoss is double loss && point.Step > 0)
            {
                train.Add(((double)point.Step * tokensPerStep, loss));
                lastStep = point.Step;
            }
        }
        if (report.Steps > lastStep && double.IsFinite(report.FinalTrainLoss))
            train.Add(((double)report.Steps * tokensPerStep, report.FinalTrainLoss));
        var validation = report.Evaluations.Select(p => ((double)p.Step * tokensPerStep, p.ValidationLoss)).ToImmutableArray();
        return (train.ToImmutable(), validation);
    }
}

/// <summary>
/// The font plots use. The SkiaSharp build ScottPlot brings on Linux has no fontconfig: it reads the font files under
/// /usr/share/fonts itself and resolves no aliases, so ScottPlot's default "sans-serif" falls back to whichever family it
/// lists first (DejaVu Serif on Debian). This picks a sans-serif family that is installed; with no font files at all
/// the plot is drawn without text (install one, e.g. Debian's fonts-dejavu-core).
/// </summary>
public static class PlotFont
{
    private static readonly string[] s_preferred = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "Open Sans", "Arial", "Helvetica", "FreeSans"];

    private static readonly Lazy<string?> s_family = new(() =>
    {
        var installed = SKFontManager.Default.FontFamilies.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return s_preferred.FirstOrDefault(installed.Contains) ?? installed.FirstOrDefault();
    });

    /// <summary>The family used, or null when no font is installed.</summary>
    public static string? Family => s_family.Value;

    /// <summary>Sets every text of the plot (title, labels, ticks, legend) to <see cref="Family"/>.</summary>
    public static void Apply(Plot plot)
    {
        if (Family is { } family)
            plot.Font.Set(family);
    }
}
