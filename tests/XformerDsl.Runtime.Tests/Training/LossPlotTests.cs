using System.Collections.Immutable;
using ScottPlot.Plottables;
using SkiaSharp;
using XformerDsl.Training;
using Xunit;

namespace XformerDsl.Tests.Training;

public class LossPlotTests
{
    // Three validation passes at steps 0, 10 and 20, batch 4 × seq 32 = 128 tokens per step, and five more steps after the last pass.
    private static readonly TrainingReport s_report = new(
        Steps: 25,
        TokensTrained: 25 * 128,
        InitialLoss: 5.5,
        FinalTrainLoss: 2.9,
        InitialValidationLoss: 5.6,
        FinalValidationLoss: 3.1,
        TokensPerSecond: 1000,
        Elapsed: TimeSpan.FromSeconds(3),
        StoppedBy: StopReason.MaxSteps,
        Evaluations:
        [
            new EvaluationPoint(0, 5.6, null, TimeSpan.Zero),
            new EvaluationPoint(10, 4.0, 4.4, TimeSpan.FromSeconds(1)),
            new EvaluationPoint(20, 3.2, 3.3, TimeSpan.FromSeconds(2)),
        ]);

    [Fact]
    public void The_series_are_the_reports_losses_against_tokens_trained()
    {
        var (train, validation) = LossPlot.Series(s_report, tokensPerStep: 128);

        Assert.Equal([(0.0, 5.5), (1280.0, 4.4), (2560.0, 3.3), (3200.0, 2.9)], train.ToArray());
        Assert.Equal([(0.0, 5.6), (1280.0, 4.0), (2560.0, 3.2)], validation.ToArray());
    }

    [Fact]
    public void The_plot_draws_those_series_and_names_the_model()
    {
        var plot = LossPlot.Create(s_report, 128, "TinyGpt");

        var lines = plot.GetPlottables().OfType<Scatter>().ToList();
        Assert.Equal(2, lines.Count);
        var (train, validation) = LossPlot.Series(s_report, 128);
        Assert.Equal(train.Select(p => (p.Tokens, p.Loss)), lines[0].Data.GetScatterPoints().Select(p => (p.X, p.Y)));
        Assert.Equal(validation.Select(p => (p.Tokens, p.Loss)), lines[1].Data.GetScatterPoints().Select(p => (p.X, p.Y)));
        Assert.Contains("TinyGpt", plot.Axes.Title.Label.Text);
    }

    [Fact]
    public void A_run_without_validation_plots_its_training_loss()
    {
        var report = s_report with { Evaluations = [], InitialValidationLoss = null, FinalValidationLoss = null };

        var (train, validation) = LossPlot.Series(report, 128);

        Assert.Equal([(0.0, 5.5), (3200.0, 2.9)], train.ToArray());
        Assert.Empty(validation);
    }

    [Fact]
    public void Save_writes_a_png_of_the_documented_size_with_lines_and_text()
    {
        var directory = Path.Combine(Path.GetTempPath(), "xformerdsl-lossplot-" + Guid.NewGuid().ToString("N"));
        try
        {
            var path = LossPlot.Save(s_report, 128, Path.Combine(directory, "run", "loss.png"), "TinyGpt");

            Assert.True(File.Exists(path));
            using var bitmap = SKBitmap.Decode(path);
            Assert.NotNull(bitmap);
            Assert.Equal(LossPlot.Width, bitmap.Width);
            Assert.Equal(LossPlot.Height, bitmap.Height);
            Assert.True(Colourful(bitmap) > 500, "the two loss lines are drawn in colour");
            // The title sits in the top band, centred: dark pixels there are text (needs an installed font, see PlotFont).
            Assert.NotNull(PlotFont.Family);
            Assert.True(Dark(bitmap, top: 0, bottom: 40) > 50, "the title is drawn");
        }
        finally
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }

    // Pixels whose channels differ clearly (not white, grey or black).
    private static int Colourful(SKBitmap bitmap)
    {
        int count = 0;
        for (int y = 0; y < bitmap.Height; y++)
            for (int x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (Math.Max(c.Red, Math.Max(c.Green, c.Blue)) - Math.Min(c.Red, Math.Min(c.Green, c.Blue)) > 60)
                    count++;
            }
        return count;
    }

    private static int Dark(SKBitmap bitmap, int top, int bottom)
    {
        int count = 0;
        for (int y = top; y < bottom; y++)
            for (int x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (c.Red < 100 && c.Green < 100 && c.Blue < 100)
                    count++;
            }
        return count;
    }
}
