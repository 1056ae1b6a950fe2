// Long-input classification across attention families: the commonest digit of a long sequence (Majority.cs) by
// default, or ListOps (Nangia & Bowman, 2018) generated as the Long Range Arena generates it (ListOps.cs, --task
// listops), and one encoder with a classification head per family (ComparedModels.cs, a file per model), each trained
// with the same seed, steps, batches and data, then compared on test and validation accuracy, training tokens/s, peak
// memory and parameters in one table (and with --json in a file).
// `dotnet run -c Release --project examples/LongClassification -- --help` lists the options (CommandLine.cs).
using System.Globalization;
using System.Text.Json;
using LongClassificationExample;
using Spectre.Console;
using TorchSharp;
using XformerDsl;
using XformerDsl.Modules;
using XformerDsl.Training;

var (settings, exitCode) = CommandLine.Parse(args);
if (settings is null)
    return exitCode;

torch.set_num_threads(settings.Threads);

// 1. The data, from the seed alone; every label is checked against what reading its sequence gives.
var shape = settings.Shape;
var (min, max) = settings.Lengths;
var task = settings.Task switch
{
    "listops" => new LabelledTask(
        $"ListOps as the Long Range Arena generates it: MAX, MIN, MED, SM over digits, {min + 1}–{max - 1} tokens, depth ≤ {shape.MaxDepth}, ≤ {shape.MaxArgs} arguments" +
        $"{(shape == ListOpsShape.Lra ? " (LRA's published settings)" : "")}; the label is the value",
        ListOps.Generate(shape, settings.Seed, settings.TrainExamples, settings.ValidationExamples, settings.TestExamples),
        tokens => ListOps.Evaluate(tokens), ListOps.Text),
    _ => new LabelledTask(
        $"the commonest digit: [CLS], then {min}–{max - 2} digits, uniform except in one stretch of {Majority.StretchLength} anywhere where half are one digit; " +
        "the label is the digit that occurs most often",
        Majority.Generate(min, max, settings.Seed, settings.TrainExamples, settings.ValidationExamples, settings.TestExamples),
        tokens => Majority.Evaluate(tokens), Majority.Text),
};
var data = task.Splits;
CheckData(task);
var (majority, majorityShare) = MostCommonAnswer(data.Train, data.Test);

var overview = new Grid().AddColumn().AddColumn();
var lengths = data.Train.Select(example => example.Tokens.Length).ToArray();
overview.AddRow("[bold]task[/]", Markup.Escape(task.Description + $", {Tasks.Classes} classes"));
overview.AddRow("[bold]data[/]", Markup.Escape(
    $"{data.Train.Length:N0} training, {data.Validation.Length:N0} validation and {data.Test.Length:N0} test sequences (seed {settings.Seed}), all distinct; " +
    $"training lengths {lengths.Min()}–{lengths.Max()}, mean {lengths.Average():0}"));
overview.AddRow("[bold]e.g.[/]", Markup.Escape(Shortened(task.Text(data.Train[0].Tokens), 160) + $"  →  {data.Train[0].Label}"));
overview.AddRow("[bold]chance[/]", Markup.Escape(
    $"always answering {majority}, the commonest training answer, scores {Percent(majorityShare)} on the test sequences"));
overview.AddRow("[bold]training[/]", Markup.Escape(
    $"each model: batch {settings.Batch}, AdamW lr {settings.LearningRate.ToString("G3", CultureInfo.InvariantCulture)} (warm-up, cosine), " +
    $"up to {settings.Steps} steps or {settings.Minutes.ToString("0.##", CultureInfo.InvariantCulture)} min, {settings.Threads} thread{(settings.Threads == 1 ? "" : "s")}"));
AnsiConsole.Write(new Panel(overview).Header("Long-input classification across attention families").Expand());

var display = Enum.Parse<ProgressDisplay>(settings.Progress, ignoreCase: true);   // the command line allows only its names
var options = new TrainingOptions
{
    MaxSteps = settings.Steps,
    TimeBudget = TimeSpan.FromMinutes(settings.Minutes),
    BatchSize = settings.Batch,
    LearningRate = settings.LearningRate,
    WarmupSteps = Math.Max(1, settings.Steps / 10),
    EvaluationInterval = TrainingOptions.EvaluationIntervalFor(settings.Steps),
    EvaluationBatches = Math.Max(1, data.Validation.Length / settings.Batch),
    LogInterval = Math.Max(1, settings.Steps / 10),
    Seed = settings.Seed,
    Threads = settings.Threads,
};

// 2. Each model in turn: built from the same seed, trained on the same batches, scored on the same test sequences.
var rows = new List<Row>();
foreach (var entry in ComparedModels.All.Where(model => settings.Models.Contains(model.Name)))
{
    var spec = entry.Card.Spec;
    AnsiConsole.WriteLine();
    AnsiConsole.Write(new Rule($"[bold]{Markup.Escape(spec.Name)}[/]: {Markup.Escape(entry.Card.AttentionComplexity)}").LeftJustified());
    torch.manual_seed(settings.Seed);
    using var model = entry.Create();
    TrainingReport? trained = null;
    double? peak = ProcessMemory.PeakMebibytes(() => trained = Trainer.Train(model, data.Train, data.Validation, options, display));
    var report = trained!;
    double test = TestAccuracy(model, data.Test, settings.Batch);
    var plot = LossPlot.Save(report, report.TokensTrained / Math.Max(1, report.Steps), Path.Combine("runs", "longclassification", entry.Name + "-loss.png"), spec.Name);
    rows.Add(new Row(entry.Name, spec.Name, spec.AttentionAt(0).AttributeName, test, report.FinalValidationAccuracy, report.TokensPerSecond, peak,
        entry.Card.ParameterCount, report.Steps, report.Elapsed.TotalSeconds, plot));
    AnsiConsole.WriteLine($"test accuracy {Percent(test)}");
}

// 3. The comparison, a row per model.
AnsiConsole.WriteLine();
var table = new Table().Border(TableBorder.Rounded).AddColumn("model")
    .AddColumn(new TableColumn("test acc.").RightAligned())
    .AddColumn(new TableColumn("val. acc.").RightAligned())
    .AddColumn(new TableColumn("tokens/s").RightAligned())
    .AddColumn(new TableColumn("peak MiB").RightAligned())
    .AddColumn(new TableColumn("parameters").RightAligned())
    .AddColumn(new TableColumn("steps, time").RightAligned());
foreach (var r in rows)
    table.AddRow(new[]
    {
        r.Name, Percent(r.TestAccuracy), r.ValidationAccuracy is { } accuracy ? Percent(accuracy) : "–",
        TrainingConsole.FormatRate(r.TokensPerSecond), r.PeakMebibytes is { } mib ? mib.ToString("N0", CultureInfo.InvariantCulture) : "–",
        r.Parameters.ToString("N0", CultureInfo.InvariantCulture), $"{r.Steps}, {TrainingConsole.FormatDuration(TimeSpan.FromSeconds(r.TrainingSeconds))}",
    }.Select(Markup.Escape).ToArray());
AnsiConsole.Write(table);
AnsiConsole.WriteLine($"Accuracy on the {data.Test.Length:N0} test and {data.Validation.Length:N0} validation sequences; chance (always answering {majority}) " +
    $"scores {Percent(majorityShare)} on the test. Tokens/s: the real, unpadded training tokens per second of step time. Peak MiB: how far the " +
    "process's resident memory rose while the model trained. Models: " + string.Join("; ", rows.Select(r => $"{r.Name} = {r.Model} ({r.Attention})")) + ".");
foreach (var r in rows.Where(r => r.Steps < settings.Steps))
    AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(r.Name)} reached the {settings.Minutes.ToString("0.##", CultureInfo.InvariantCulture)}-minute cap after {r.Steps} of {settings.Steps} steps: " +
        "its accuracy is not comparable with the others' (raise --minutes).[/]");
AnsiConsole.MarkupLine($"loss plots: {string.Join(", ", rows.Select(r => $"[link]{Markup.Escape(r.LossPlot)}[/]"))}");
if (settings.Json is { } path)
{
    var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
    Directory.CreateDirectory(directory);
    File.WriteAllText(path, JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
    AnsiConsole.MarkupLine($"results: [link]{Markup.Escape(path)}[/]");
}
return 0;

// The fraction of the test sequences the model answers correctly, in evaluation mode, batch by batch.
static double TestAccuracy(torch.nn.Module module, LabelledSequence[] examples, int batchSize)
{
    var model = (ISequenceModel)module;
    var objective = new ClassificationObjective(Tasks.Classes);
    bool wasTraining = module.training;
    module.eval();
    try
    {
        using var noGrad = torch.no_grad();
        long correct = 0;
        foreach (var indices in Enumerable.Range(0, examples.Length).Chunk(batchSize))
        {
            using var scope = torch.NewDisposeScope();
            using var batch = objective.Batch(examples, indices, model.Declaration.MaxLength);
            correct += objective.Correct(model.forward(batch.Tokens, batch.PaddingMask), batch.Labels);
        }
        return (double)correct / examples.Length;
    }
    finally
    {
        module.train(wasTraining);
    }
}

// Each label is what reading its sequence gives, and the sequences fit every model.
static void CheckData(LabelledTask task)
{
    foreach (var example in task.Splits.Train.Concat(task.Splits.Validation).Concat(task.Splits.Test))
    {
        if (task.Evaluate(example.Tokens) != example.Label)
            throw new InvalidOperationException($"The sequence {Shortened(task.Text(example.Tokens), 200)} is labelled {example.Label} but reads {task.Evaluate(example.Tokens)}.");
        foreach (var spec in ComparedModels.All.Select(model => model.Card.Spec))
            if (example.Tokens.Length > spec.MaxLength || example.Tokens.Any(token => token >= spec.Vocab))
                throw new InvalidOperationException($"A sequence of {example.Tokens.Length} tokens does not fit {spec.Name} (MaxLength = {spec.MaxLength}, Vocab = {spec.Vocab}).");
    }
}

// The answer a model that ignored its input would learn to give, and how often it is right on the test sequences.
static (int Answer, double Share) MostCommonAnswer(LabelledSequence[] train, LabelledSequence[] test)
{
    int answer = train.GroupBy(example => example.Label).MaxBy(group => group.Count())!.Key;
    return (answer, test.Count(example => example.Label == answer) / (double)test.Length);
}

static string Shortened(string text, int length) => text.Length <= length ? text : text[..length] + " …";

static string Percent(double fraction) => (100 * fraction).ToString("0.0", CultureInfo.InvariantCulture) + " %";

/// <summary>A task's data, described, with the independent reading of a sequence's label and its text.</summary>
internal sealed record LabelledTask(string Description, LabelledSplits Splits, Func<long[], int> Evaluate, Func<IEnumerable<long>, string> Text);

/// <summary>One model's results: a row of the table and an object of the JSON array.</summary>
internal sealed record Row(
    string Name, string Model, string Attention, double TestAccuracy, double? ValidationAccuracy, double TokensPerSecond,
    double? PeakMebibytes, long Parameters, int Steps, double TrainingSeconds, string LossPlot);
