// Trains a byte-level model over long contexts twice, with the same budget: once with sliding-window attention (full
// attention every fourth layer) and once with full attention in every layer, on this repository's text, and prints the
// comparison, and plots each model's loss in runs/longcontext/.
// Usage: dotnet run -c Release --project examples/LongContext -- [--seq 8192] [--steps 30] [--minutes 4]; --help lists them.
using System.Globalization;
using LongContextExample;
using Spectre.Console;
using TorchSharp;
using XformerDsl.Training;
using static TorchSharp.torch;

var (settings, exitCode) = CommandLine.Parse(args);
if (settings is null)
    return exitCode;
var (seq, steps, minutes) = (settings.Seq, settings.Steps, settings.Minutes);

TextCorpus corpus;
try
{
    corpus = TextCorpus.FromEnclosingRepository();
}
catch (DirectoryNotFoundException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
var train = ByteTokenizer.Encode(corpus.Train.Span);
var validation = ByteTokenizer.Encode(corpus.Validation.Span);
if (validation.Length < seq + 1)
    seq = Math.Max(2, validation.Length - 1);

torch.set_num_threads(Environment.ProcessorCount);
var options = new TrainingOptions
{
    MaxSteps = steps,
    TimeBudget = TimeSpan.FromMinutes(minutes),
    BatchSize = 1,
    SequenceLength = seq,
    LearningRate = 2e-3,
    WarmupSteps = Math.Max(1, steps / 10),
    EvaluationInterval = steps,
    EvaluationBatches = 1,
    LogInterval = Math.Max(1, steps / 10),
};
AnsiConsole.MarkupLine($"[bold]{Markup.Escape(corpus.Description)}[/]: {train.Length:N0} training bytes; contexts of {seq:N0} bytes, up to {steps} steps or {minutes:0.#} minutes per model.");

var runs = new List<(string Name, string Attention, TrainingReport Report)>();
foreach (var (name, attention, create) in new (string, string, Func<nn.Module<Tensor, Tensor>>)[]
{
    ("windowed", WindowedByteModel.Card.AttentionComplexity, () => new WindowedByteModel()),
    ("full", FullByteModel.Card.AttentionComplexity, () => new FullByteModel()),
})
{
    AnsiConsole.Write(new Rule($"{name}: {Markup.Escape(attention)}").LeftJustified());
    torch.manual_seed(options.Seed);
    using var model = create();
    runs.Add((name, attention, Trainer.Train(model, train, validation, options, ProgressDisplay.Lines)));
}

var table = new Table().Border(TableBorder.Rounded).AddColumn("model").AddColumn(new TableColumn("steps").RightAligned())
    .AddColumn(new TableColumn("s / step").RightAligned()).AddColumn(new TableColumn("tokens / s").RightAligned())
    .AddColumn(new TableColumn("validation loss").RightAligned());
foreach (var (name, _, report) in runs)
    table.AddRow(name, report.Steps.ToString(CultureInfo.InvariantCulture),
        (report.Elapsed.TotalSeconds / Math.Max(1, report.Steps)).ToString("0.00", CultureInfo.InvariantCulture),
        TrainingConsole.FormatRate(report.TokensPerSecond),
        report.FinalValidationLoss is double loss ? TrainingConsole.FormatLoss(loss) : "-");
AnsiConsole.Write(table);
var (windowed, full) = (runs[0].Report, runs[1].Report);
AnsiConsole.MarkupLine($"Sliding-window training runs {(windowed.TokensPerSecond / full.TokensPerSecond).ToString("0.0", CultureInfo.InvariantCulture)}× the tokens per second of full attention at {seq:N0} bytes of context.");
foreach (var (name, _, report) in runs)
{
    var plot = LossPlot.Save(report, (long)options.BatchSize * options.SequenceLength, Path.Combine("runs", "longcontext", $"{name}-loss.png"),
        name == "windowed" ? WindowedByteModel.Spec.Name : FullByteModel.Spec.Name);
    AnsiConsole.MarkupLine($"loss plot: [link]{Markup.Escape(plot)}[/]");
}
return 0;
