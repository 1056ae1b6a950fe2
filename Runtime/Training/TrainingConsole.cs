using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace XformerDsl.Training;

/// <summary>How training progress is shown on the console.</summary>
public enum ProgressDisplay
{
    /// <summary><see cref="Live"/> in an interactive terminal, <see cref="Lines"/> when output is redirected (CI logs, pipes).</summary>
    Auto,

    /// <summary>A live progress bar and metrics table that redraw in place, plus one line per validation pass.</summary>
    Live,

    /// <summary>Plain text lines: one every <see cref="TrainingOptions.LogInterval"/> steps and one per validation pass.</summary>
    Lines,

    /// <summary>Nothing.</summary>
    None,
}

/// <summary>Shows a training run's progress on the console with Spectre.Console.</summary>
public static class TrainingConsole
{
    /// <summary>
    /// Runs <paramref name="train"/> with an observer that shows its progress as <paramref name="display"/> says,
    /// and returns what it returns. A live display stays on screen when the run ends.
    /// </summary>
    /// <param name="display">How to show progress.</param>
    /// <param name="logInterval">For <see cref="ProgressDisplay.Lines"/>: one line every this many steps.</param>
    /// <param name="train">The run, given the observer to report to.</param>
    public static T Run<T>(ProgressDisplay display, int logInterval, Func<ITrainingObserver, T> train)
    {
        switch (Resolve(display))
        {
            case ProgressDisplay.Live:
                var live = new LiveObserver();
                return AnsiConsole.Progress()
                    .AutoClear(false)
                    .HideCompleted(false)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new EstimatedRemainingColumn(live))
                    .UseRenderHook((bar, _) => new Rows(bar, live.MetricsTable()))
                    .Start(context =>
                    {
                        live.Task = context.AddTask("training", autoStart: true, maxValue: 1.0);
                        var result = train(live);
                        live.Task.Value = live.Task.MaxValue;
                        return result;
                    });
            case ProgressDisplay.Lines:
                return train(new LineObserver(Console.Out, logInterval));
            default:
                return train(SilentTrainingObserver.Instance);
        }
    }

    /// <summary>What <see cref="ProgressDisplay.Auto"/> means here: live in an interactive terminal, lines otherwise.</summary>
    public static ProgressDisplay Resolve(ProgressDisplay display) =>
        display != ProgressDisplay.Auto ? display
        : !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive ? ProgressDisplay.Live
        : ProgressDisplay.Lines;

    /// <summary>
    /// One plain progress line, e.g.
    /// <c>step   250/1000  loss 1.8421  val 1.9310  lr 9.1e-04  21.3k tok/s  elapsed 0:42  ETA 2:05</c>.
    /// </summary>
    public static string FormatLine(TrainingProgress progress)
    {
        var c = CultureInfo.InvariantCulture;
        int width = progress.MaxSteps.ToString(c).Length;
        var line = string.Create(c, $"step {progress.Step.ToString(c).PadLeft(width)}/{progress.MaxSteps}  loss {FormatLoss(progress.SmoothedLoss)}");
        if (progress.ValidationLoss is { } validation)
            line += $"  val {FormatLoss(validation)}";
        if (progress.ValidationAccuracy is { } accuracy)
            line += string.Create(c, $"  acc {accuracy * 100:0.0}%");
        line += string.Create(c, $"  lr {progress.LearningRate:0.0e+00}  {FormatRate(progress.TokensPerSecond)} tok/s  elapsed {FormatDuration(progress.Elapsed)}");
        if (progress.Remaining is { } remaining)
            line += $"  ETA {FormatDuration(remaining)}";
        return line;
    }

    /// <summary>A loss with four decimals, or a dash before there is one.</summary>
    public static string FormatLoss(double loss) => double.IsNaN(loss) ? "–" : loss.ToString("F4", CultureInfo.InvariantCulture);

    /// <summary>A throughput with a k/M suffix: <c>950</c>, <c>21.3k</c>, <c>1.20M</c>.</summary>
    public static string FormatRate(double perSecond) => perSecond switch
    {
        >= 1e6 => (perSecond / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + "M",
        >= 1e3 => (perSecond / 1e3).ToString("0.0", CultureInfo.InvariantCulture) + "k",
        _ => perSecond.ToString("0", CultureInfo.InvariantCulture),
    };

    /// <summary>A duration as <c>m:ss</c>, or <c>h:mm:ss</c> from an hour on.</summary>
    public static string FormatDuration(TimeSpan duration)
    {
        if (duration < TimeSpan.Zero) duration = TimeSpan.Zero;
        return duration.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalHours}:{duration.Minutes:00}:{duration.Seconds:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalMinutes}:{duration.Seconds:00}");
    }

    /// <summary>Writes a line every <c>interval</c> steps, at the last step, and after each validation pass.</summary>
    private sealed class LineObserver(TextWriter output, int interval) : ITrainingObserver
    {
        private int _lastWritten = -1;

        public void OnStep(TrainingProgress progress)
        {
            if (progress.Step % interval == 0 || progress.Step == progress.MaxSteps)
                Write(progress);
        }

        // The trainer reports a step after the validation pass that follows it, so that step's line already shows the fresh value.
        public void OnEvaluation(TrainingProgress progress)
        {
            if (progress.Step != _lastWritten)
                Write(progress);
        }

        private void Write(TrainingProgress progress)
        {
            output.WriteLine(FormatLine(progress));
            output.Flush();
            _lastWritten = progress.Step;
        }
    }

    /// <summary>Feeds a Spectre progress task; the render thread reads the latest immutable snapshot.</summary>
    private sealed class LiveObserver : ITrainingObserver
    {
        private TrainingProgress? _latest;

        public ProgressTask? Task { get; set; }

        public TrainingProgress? Latest => Volatile.Read(ref _latest);

        public void OnStep(TrainingProgress progress)
        {
            Volatile.Write(ref _latest, progress);
            if (Task is not null)
                Task.Value = progress.Fraction;
        }

        public void OnEvaluation(TrainingProgress progress)
        {
            Volatile.Write(ref _latest, progress);
            // Written above the live area, so the validation history stays on screen.
            AnsiConsole.MarkupLine(Markup.Escape(FormatLine(progress)));
        }

        public IRenderable MetricsTable()
        {
            var table = new Table().Border(TableBorder.Rounded);
            foreach (var header in new[] { "step", "loss", "val loss", "lr", "tok/s", "grad norm", "elapsed", "ETA" })
                table.AddColumn(new TableColumn(header).RightAligned());
            var p = Latest;
            if (p is null)
            {
                table.AddRow("0", "…", "…", "…", "…", "…", "0:00", "…");
                return table;
            }
            var c = CultureInfo.InvariantCulture;
            table.AddRow(
                $"{p.Step}/{p.MaxSteps}",
                FormatLoss(p.SmoothedLoss),
                p.ValidationLoss is { } v ? FormatLoss(v) + (p.ValidationAccuracy is { } a ? string.Create(c, $" (acc {a * 100:0.0}%)") : "") : "…",
                p.LearningRate.ToString("0.0e+00", c),
                FormatRate(p.TokensPerSecond),
                double.IsNaN(p.GradientNorm) ? "–" : p.GradientNorm.ToString("F2", c),
                FormatDuration(p.Elapsed),
                p.Remaining is { } r ? FormatDuration(r) : "…");
            return table;
        }
    }

    /// <summary>The trainer's own estimate of the time left (it knows about the time budget and the step limit).</summary>
    private sealed class EstimatedRemainingColumn(LiveObserver observer) : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(observer.Latest?.Remaining is { } r ? "ETA " + FormatDuration(r) : "ETA …", new Style(Color.Blue));
    }
}
