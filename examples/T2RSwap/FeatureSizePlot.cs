using ScottPlot;
using XformerDsl.Training;

namespace T2RSwapExample;

/// <summary>T2R's trade-off as a PNG: perplexity after finetuning against generation speed, one point per feature size.</summary>
internal static class FeatureSizePlot
{
    /// <summary>Draws the T2R rows (and the softmax model as a reference point) and saves the plot at <paramref name="path"/>.</summary>
    public static string Save(IReadOnlyList<ComparisonRow> t2r, double softmaxPerplexity, Generation softmax, string path)
    {
        var plot = new Plot();
        PlotFont.Apply(plot);
        var line = plot.Add.Scatter(t2r.Select(r => r.Generation.TokensPerSecond).ToArray(), t2r.Select(r => r.Perplexity).ToArray());
        line.LegendText = "T2R, swap + finetune";
        line.LineWidth = 2;
        line.MarkerSize = 8;
        foreach (var r in t2r)
            plot.Add.Text($"{r.Features} features", r.Generation.TokensPerSecond, r.Perplexity);
        var reference = plot.Add.Scatter(new[] { softmax.TokensPerSecond }, new[] { softmaxPerplexity });
        reference.LegendText = "softmax + key-value cache";
        reference.MarkerSize = 10;
        plot.Title($"T2R feature size: quality against speed ({softmax.Tokens} generated tokens)");
        plot.XLabel("generation, tokens/s (batch 1, Step)");
        plot.YLabel("validation perplexity per byte");
        plot.ShowLegend(Alignment.UpperRight);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
            Directory.CreateDirectory(directory);
        plot.SavePng(path, LossPlot.Width, LossPlot.Height);
        return path;
    }
}
