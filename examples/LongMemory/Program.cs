// Segment recurrence on this repository's text (issue 13): a byte-level Transformer-XL and Compressive Transformer
// trained on segments of 128 bytes with a memory of 128 positions, and the same frame without recurrence, each for the
// same time; then validation bits per byte with evaluation memories of 0, 128, 512 and 1,024 positions, and the
// evaluation time of reusing the memory against recomputing the same context from scratch at every segment (the
// Transformer-XL paper's evaluation speed-up). Prints a table, and with --json writes one object per row.
// `dotnet run -c Release --project examples/LongMemory -- --help` lists the options (CommandLine.cs).
using System.Globalization;
using System.Text.Json;
using LongMemoryExample;
using Spectre.Console;
using TorchSharp;
using XformerDsl;
using XformerDsl.Modules;
using XformerDsl.Specs;
using XformerDsl.Training;
using static TorchSharp.torch;

var (settings, exitCode) = CommandLine.Parse(args);
if (settings is null)
    return exitCode;
torch.set_num_threads(settings.Threads);
const int L = CommandLine.SegmentLength;

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

// The validation streams: every memory length is scored on the same segments, after enough unscored ones to fill the longest.
int warmup = (settings.Memories.Max() + L - 1) / L;
using var rows = SegmentStream.Rows(validation, settings.EvaluationRows);
int scored = (int)Math.Min(settings.ScoredSegments, SegmentStream.Segments(rows.shape[1], L) - warmup);
if (scored < 1)
{
    Console.Error.WriteLine($"The validation text ({validation.Length:N0} bytes in {settings.EvaluationRows} streams) is too short to fill a memory of {settings.Memories.Max():N0} and score a segment; use fewer --eval-rows or shorter --memories.");
    return 1;
}

var display = Enum.Parse<ProgressDisplay>(settings.Progress, ignoreCase: true);   // the command line allows only its names
var options = new TrainingOptions
{
    MaxSteps = settings.Steps,
    TimeBudget = TimeSpan.FromMinutes(settings.Minutes),
    BatchSize = settings.Batch,
    SequenceLength = L,
    LearningRate = settings.LearningRate,
    WarmupSteps = 20,
    EvaluationInterval = settings.Steps,
    EvaluationBatches = 4,
    LogInterval = 25,
    Seed = settings.Seed,
    Threads = settings.Threads,
};
var overview = new Grid().AddColumn().AddColumn();
overview.AddRow("[bold]data[/]", Markup.Escape($"{corpus.Description}: {train.Length:N0} training and {validation.Length:N0} validation bytes"));
overview.AddRow("[bold]training[/]", Markup.Escape(
    $"each model {settings.Minutes.ToString("0.##", CultureInfo.InvariantCulture)} min (or {settings.Steps:N0} steps): {settings.Batch} streams of segments of {L} bytes, " +
    $"the declared memory (128) carried from step to step; AdamW lr {settings.LearningRate.ToString("G3", CultureInfo.InvariantCulture)}, {settings.Threads} thread(s)"));
overview.AddRow("[bold]evaluation[/]", Markup.Escape(
    $"{settings.EvaluationRows} validation streams, {scored} segments of {L} scored in each after {warmup} unscored ones; memories {string.Join(", ", settings.Memories)}"));
AnsiConsole.Write(new Panel(overview).Header("Segment recurrence: Transformer-XL and the Compressive Transformer").Expand());

var results = new List<Row>();
void Add(Row row)
{
    results.Add(row);
    AnsiConsole.MarkupLine(Markup.Escape(
        $"  {row.Model}, memory {row.Memory}{(row.Compressed > 0 ? $" + {row.Compressed} compressed" : "")}: {row.BitsPerByte:0.000} bits/byte in {row.ReuseSeconds:0.00} s" +
        (row.RecomputeSeconds is double seconds ? $"; recomputing {row.Memory} bytes of context: {row.RecomputedBitsPerByte:0.000} bits/byte in {seconds:0.00} s (reuse {row.SpeedUp:0.0}x as fast)" : "")));
}

foreach (var (name, create) in new (string, Func<nn.Module<Tensor, Tensor>>)[]
{
    ("Transformer-XL", () => new XlByteModel()),
    ("Compressive", () => new CompressiveByteModel()),
    ("no recurrence", () => new WindowByteModel()),
})
{
    torch.manual_seed(settings.Seed);
    using var model = create();
    var card = ((IDeclaredModel)model).Declaration;
    AnsiConsole.WriteLine();
    AnsiConsole.Write(new Rule($"[bold]{Markup.Escape(name)}[/] ({Markup.Escape(card.Name)}): {Markup.Escape(ModelCard.Of(card).AttentionComplexity)}").LeftJustified());
    var report = Trainer.Train(model, train, validation, options, display);
    long parameters = model.parameters().Sum(p => p.numel());
    Row Measured(int memory, int compressed, Evaluation.Score reuse, Evaluation.Score? recompute) => new(
        name, memory, compressed, reuse.BitsPerByte, recompute?.BitsPerByte, reuse.Seconds, recompute?.Seconds,
        recompute is { } r && reuse.Seconds > 0 ? r.Seconds / reuse.Seconds : null, report.Steps, report.Elapsed.TotalSeconds, parameters);

    AnsiConsole.MarkupLine($"Evaluating {Markup.Escape(name)}:");
    if (model is ISegmentRecurrentModel recurrent)
    {
        int declaredCompressed = card.Attention[0].Attention is SegmentRecurrenceSpec { Compressed: var c } ? c : 0;
        foreach (int memory in settings.Memories)
        {
            // Memory 0 keeps nothing at all, compressed slots included: each segment alone.
            int compressed = memory == 0 ? 0 : declaredCompressed;
            var reuse = Evaluation.WithMemory(recurrent, rows, memory, compressed, warmup, scored);
            var recompute = memory == 0 ? (Evaluation.Score?)null : Evaluation.Recomputed(model, rows, memory, warmup, scored);
            Add(Measured(memory, compressed, reuse, recompute));
        }
    }
    else
        Add(Measured(0, 0, Evaluation.Recomputed(model, rows, context: 0, warmup, scored), null));
}

AnsiConsole.WriteLine();
var table = new Table().Border(TableBorder.Rounded).AddColumn("model").AddColumn(new TableColumn("train steps").RightAligned())
    .AddColumn(new TableColumn("eval memory").RightAligned()).AddColumn(new TableColumn("bits/byte").RightAligned())
    .AddColumn(new TableColumn("reuse s").RightAligned()).AddColumn(new TableColumn("recompute s").RightAligned())
    .AddColumn(new TableColumn("reuse speed-up").RightAligned()).AddColumn(new TableColumn("recomputed bits/byte").RightAligned());
foreach (var row in results)
    table.AddRow(row.Model, row.TrainSteps.ToString("N0", CultureInfo.InvariantCulture),
        row.Compressed > 0 ? $"{row.Memory} + {row.Compressed}×4" : row.Memory.ToString(CultureInfo.InvariantCulture),
        row.BitsPerByte.ToString("0.000", CultureInfo.InvariantCulture), row.ReuseSeconds.ToString("0.00", CultureInfo.InvariantCulture),
        row.RecomputeSeconds?.ToString("0.00", CultureInfo.InvariantCulture) ?? "-", row.SpeedUp is double s ? s.ToString("0.0", CultureInfo.InvariantCulture) + "x" : "-",
        row.RecomputedBitsPerByte?.ToString("0.000", CultureInfo.InvariantCulture) ?? "-");
AnsiConsole.Write(table);
AnsiConsole.MarkupLine(Markup.Escape(
    "Memory m: segments read in order, each layer attending to the m positions before the segment (and, for the Compressive Transformer, " +
    "its compressed slots of 4 positions each); recompute: each segment read in one forward with the m bytes before it, no memory. " +
    "Times are the scored segments' forwards on this machine; each model trained for the same time."));
if (settings.Json is { } path)
{
    File.WriteAllText(path, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
    AnsiConsole.MarkupLine($"rows written to {Markup.Escape(path)}");
}
return 0;

/// <summary>One evaluation of one model: bits per byte with a memory, and the time against recomputing its context.</summary>
internal sealed record Row(
    string Model, int Memory, int Compressed, double BitsPerByte, double? RecomputedBitsPerByte, double ReuseSeconds,
    double? RecomputeSeconds, double? SpeedUp, long TrainSteps, double TrainSeconds, long Parameters);
