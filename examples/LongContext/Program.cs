// Trains byte-level models over long contexts with the same budget, on this repository's text: sliding-window attention
// (full attention every fourth layer), LSH attention, and full attention in every layer; then each generates --generate
// bytes token by token with Step. Prints the comparison and plots each model's loss in runs/longcontext/.
// Usage: dotnet run -c Release --project examples/LongContext -- [--seq 8192] [--steps 30] [--minutes 4] [--generate 2048];
// --help lists them.
using System.Globalization;
using LongContextExample;
using Spectre.Console;
using TorchSharp;
using XformerDsl.Modules;
using XformerDsl.Training;
using static TorchSharp.torch;

var (settings, exitCode) = CommandLine.Parse(args);
if (settings is null)
    return exitCode;
var (seq, steps, minutes, generate) = (settings.Seq, settings.Steps, settings.Minutes, settings.Generate);

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

var models = new (string Name, string Attention, string Declaration, Func<nn.Module<Tensor, Tensor>> Create)[]
{
    ("windowed", WindowedByteModel.Card.AttentionComplexity, WindowedByteModel.Spec.Name, () => new WindowedByteModel()),
    ("lsh", LshByteModel.Card.AttentionComplexity, LshByteModel.Spec.Name, () => new LshByteModel()),
    ("full", FullByteModel.Card.AttentionComplexity, FullByteModel.Spec.Name, () => new FullByteModel()),
};
var runs = new List<Run>();
foreach (var (name, attention, declaration, create) in models)
{
    AnsiConsole.Write(new Rule($"{name}: {Markup.Escape(attention)}").LeftJustified());
    torch.manual_seed(options.Seed);
    using var model = create();
    var report = Trainer.Train(model, train, validation, options, ProgressDisplay.Lines);
    var plot = LossPlot.Save(report, (long)options.BatchSize * options.SequenceLength, Path.Combine("runs", "longcontext", $"{name}-loss.png"), declaration);
    AnsiConsole.MarkupLine($"loss plot: [link]{Markup.Escape(plot)}[/]");
    runs.Add(new Run(name, report, Generate(model, name, generate)));
}

var table = new Table().Border(TableBorder.Rounded).AddColumn("model").AddColumn(new TableColumn("steps").RightAligned())
    .AddColumn(new TableColumn("s / step").RightAligned()).AddColumn(new TableColumn("train tok/s").RightAligned())
    .AddColumn(new TableColumn("val loss").RightAligned())
    .AddColumn(new TableColumn("gen tok/s").RightAligned()).AddColumn(new TableColumn("gen MiB").RightAligned());
foreach (var run in runs)
    table.AddRow(run.Name, run.Report.Steps.ToString(CultureInfo.InvariantCulture),
        (run.Report.Elapsed.TotalSeconds / Math.Max(1, run.Report.Steps)).ToString("0.00", CultureInfo.InvariantCulture),
        TrainingConsole.FormatRate(run.Report.TokensPerSecond),
        run.Report.FinalValidationLoss is double loss ? TrainingConsole.FormatLoss(loss) : "-",
        run.Generation.TokensPerSecond.ToString("N0", CultureInfo.InvariantCulture),
        run.Generation.PeakMebibytes is double peak ? peak.ToString("0.0", CultureInfo.InvariantCulture) : "-");
AnsiConsole.Write(table);
AnsiConsole.MarkupLine($"gen: greedy generation of {generate:N0} bytes with Step, batch 1, after training; MiB is how far the process's memory rose.");
var full = runs.Single(r => r.Name == "full");
foreach (var run in runs.Where(r => r.Name != "full"))
    AnsiConsole.MarkupLine($"{run.Name}: trains at {(run.Report.TokensPerSecond / full.Report.TokensPerSecond).ToString("0.0", CultureInfo.InvariantCulture)}× and generates at " +
        $"{(run.Generation.TokensPerSecond / full.Generation.TokensPerSecond).ToString("0.0", CultureInfo.InvariantCulture)}× the tokens per second of full attention (with its key-value cache) at {seq:N0} bytes of context.");
return 0;

// Greedy generation of `tokens` bytes with Step after a short warm-up, in evaluation mode: tokens per second and how far
// the process's memory rose.
static Generation Generate(nn.Module<Tensor, Tensor> model, string name, int tokens)
{
    var recurrent = model as IRecurrentLanguageModel
        ?? throw new InvalidOperationException($"{name} does not implement IRecurrentLanguageModel: every causal model here generates with Step.");
    AnsiConsole.MarkupLine($"[grey]{name}: generating {tokens:N0} bytes with Step...[/]");
    model.eval();
    Sampler.TimeGreedySteps(recurrent, 1, Math.Min(tokens, 16));   // JIT and libtorch's first calls
    double seconds = 0;
    double? peak = ProcessMemory.PeakMebibytes(() => seconds = Sampler.TimeGreedySteps(recurrent, 1, tokens));
    return new Generation(tokens / seconds, peak);
}

/// <summary>One model's training report and generation.</summary>
internal sealed record Run(string Name, TrainingReport Report, Generation Generation);

/// <summary>Greedy generation with Step: tokens per second, and the peak rise of the process's memory (null where not measurable).</summary>
internal sealed record Generation(double TokensPerSecond, double? PeakMebibytes);
