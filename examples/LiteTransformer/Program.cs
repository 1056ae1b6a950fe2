// Lite Transformer (Wu et al., 2020) against a vanilla transformer under the same Mult-Adds budget, the paper's claim in
// miniature: both encoder–decoders learn to translate English dates to ISO ("march 23rd, 1994" → "1994-03-23") from
// pairs DateData.cs generates, with the same data, steps and settings; then each decodes held-out dates (dates that never
// occur in training) and the example prints Mult-Adds per 30-token sentence, parameters, exact-match accuracy and speed.
// `dotnet run -c Release --project examples/LiteTransformer -- --help` lists the options (CommandLine.cs).
using System.Diagnostics;
using System.Globalization;
using LiteTransformerExample;
using Spectre.Console;
using TorchSharp;
using XformerDsl;
using XformerDsl.Generation;
using XformerDsl.Modules;
using XformerDsl.Training;

var (settings, exitCode) = CommandLine.Parse(args);
if (settings is null)
    return exitCode;

torch.set_num_threads(settings.Threads);

// 1. The data: a tenth of the days for validation, a tenth for the test, the rest for training; random phrasings.
var data = DateData.Generate(settings.Seed, settings.TrainPairs, validationPairs: 512, settings.TestPairs);
var train = DateData.ToSequencePairs(data.Train);
var validation = DateData.ToSequencePairs(data.Validation);
var tokens = DateData.Tokens;
// Both models are declared with one budget, checked at compile time; the sentence length it is counted at (30 source
// and 30 target tokens, as Lite Transformer's paper and profiling count) comes from the declarations.
var budget = VanillaTranslator.Spec.Budget!;
if (LiteTranslator.Spec.Budget != budget)
    throw new InvalidOperationException($"The models must be declared with one Mult-Adds budget: {VanillaTranslator.Spec.Budget} and {LiteTranslator.Spec.Budget}.");
CheckData(data);

var overview = new Grid().AddColumn().AddColumn();
overview.AddRow("[bold]task[/]", Markup.Escape(
    $"English dates in {DateData.Phrasings} phrasings → ISO, {DateData.FirstYear}–{DateData.LastYear}; characters, vocabulary {DateData.VocabularySize} (PAD, BOS, EOS and \"{DateData.Characters}\")"));
overview.AddRow("[bold]data[/]", Markup.Escape(
    $"{data.Train.Length:N0} training, {data.Validation.Length:N0} validation and {data.Test.Length:N0} test pairs (seed {settings.Seed}); held-out dates never occur in training; longest source {data.LongestSource} characters"));
overview.AddRow("[bold]e.g.[/]", Markup.Escape(string.Join("\n", data.Train.Take(4).Select(pair => $"{pair.Source}  →  {pair.Target}"))));
overview.AddRow("[bold]training[/]", Markup.Escape(
    $"each model: batch {settings.Batch}, AdamW lr {settings.LearningRate.ToString("G3", CultureInfo.InvariantCulture)} (warm-up, cosine), " +
    $"up to {settings.Steps} steps or {settings.Minutes.ToString("0.##", CultureInfo.InvariantCulture)} min, {settings.Threads} thread{(settings.Threads == 1 ? "" : "s")}"));
AnsiConsole.Write(new Panel(overview).Header("Lite Transformer vs. vanilla transformer, same Mult-Adds budget").Expand());

var display = Enum.Parse<ProgressDisplay>(settings.Progress, ignoreCase: true);   // the command line allows only its names
var options = new TrainingOptions
{
    MaxSteps = settings.Steps,
    TimeBudget = TimeSpan.FromMinutes(settings.Minutes),
    BatchSize = settings.Batch,
    LearningRate = settings.LearningRate,
    WarmupSteps = Math.Min(100, Math.Max(1, settings.Steps / 10)),
    EvaluationInterval = TrainingOptions.EvaluationIntervalFor(settings.Steps),
    EvaluationBatches = Math.Max(1, validation.Length / settings.Batch),
    LogInterval = 50,
    Seed = settings.Seed,
    Threads = settings.Threads,
};
var greedy = new GenerationOptions { Tokens = tokens, MaxLength = 11, Beams = 1 };   // 10 characters and EOS

// 2. Each model in turn: built from the same seed, trained on the same batches, scored on the same held-out pairs.
var results = new List<Result>();
foreach (var (name, card, create) in new (string, ModelCard, Func<torch.nn.Module>)[]
{
    ("vanilla", VanillaTranslator.Card, () => new VanillaTranslator()),
    ("Lite", LiteTranslator.Card, () => new LiteTranslator()),
})
{
    AnsiConsole.WriteLine();
    AnsiConsole.Write(new Rule($"[bold]{Markup.Escape(card.Spec.Name)}[/]").LeftJustified());
    AnsiConsole.WriteLine(Describe(card, budget.SentenceLength));
    torch.manual_seed(settings.Seed);
    using var model = create();
    var report = Trainer.Train(model, train, validation, tokens, options, display);
    var translator = (IEncoderDecoderModel)model;

    var (greedyOutputs, greedyRate) = Decode(translator, data.Test, greedy);
    var (beamOutputs, beamRate) = settings.Beams > 1 ? Decode(translator, data.Test, greedy with { Beams = settings.Beams }) : (null, 0.0);
    var plot = LossPlot.Save(report, report.TokensTrained / Math.Max(1, report.Steps), Path.Combine("runs", "litetransformer", name.ToLowerInvariant() + "-loss.png"), card.Spec.Name);
    results.Add(new Result(name, card, report, greedyOutputs, greedyRate, beamOutputs, beamRate, plot));

    AnsiConsole.WriteLine($"Held-out translations (greedy), errors first: {Percent(Accuracy(greedyOutputs, data.Test))} exact");
    var shown = data.Test.Select((pair, i) => (pair, output: greedyOutputs[i]))
        .OrderBy(item => item.output == item.pair.Target).Take(settings.Examples);
    foreach (var (pair, output) in shown)
        AnsiConsole.MarkupLine(output == pair.Target
            ? $"  [green]✓[/] {Markup.Escape(pair.Source)} → {Markup.Escape(output)}"
            : $"  [red]✗[/] {Markup.Escape(pair.Source)} → {Markup.Escape(output)} [grey](expected {pair.Target})[/]");
}

// 3. The comparison, a column per model.
AnsiConsole.WriteLine();
var table = new Table().Border(TableBorder.Rounded).AddColumn("");
foreach (var r in results)
    table.AddColumn(new TableColumn(r.Card.Spec.Name).RightAligned());
void Row(string label, Func<Result, string> cell) => table.AddRow(results.Select(cell).Prepend(label).Select(Markup.Escape).ToArray());
Row($"Mult-Adds per sentence (≤ {Grouped(budget.MultAdds)})", r => Grouped(r.Card.MultAddsPerSentence(budget.SentenceLength)));
Row("parameters", r => Grouped(r.Card.ParameterCount));
Row($"exact match, greedy ({data.Test.Length:N0} held-out)", r => Percent(Accuracy(r.Greedy, data.Test)));
if (settings.Beams > 1)
    Row($"exact match, beam search ({settings.Beams} beams)", r => Percent(Accuracy(r.Beam!, data.Test)));
Row("training tokens/s", r => TrainingConsole.FormatRate(r.Report.TokensPerSecond));
Row("greedy decoding, sentences/s", r => r.GreedyRate.ToString("0", CultureInfo.InvariantCulture));
if (settings.Beams > 1)
    Row($"beam search, sentences/s", r => r.BeamRate.ToString("0", CultureInfo.InvariantCulture));
Row("steps, training time", r => $"{r.Report.Steps}, {TrainingConsole.FormatDuration(r.Report.Elapsed)}");
Row("validation loss", r => r.Report.FinalValidationLoss is { } loss ? TrainingConsole.FormatLoss(loss) : "–");
AnsiConsole.Write(table);
AnsiConsole.WriteLine($"Mult-Adds: the encoder over a {budget.SentenceLength}-token source and the decoder over a {budget.SentenceLength}-token target, " +
    "cross-attention included, embeddings and the output projection excluded (Lite Transformer's convention). " +
    "Training tokens: the real source and target tokens of the batches.");
AnsiConsole.MarkupLine($"loss plots: {string.Join(", ", results.Select(r => $"[link]{Markup.Escape(r.LossPlot)}[/]"))}");
return 0;

// Decodes every test source in batches; returns the outputs as text and the sentences per second (after an untimed warm-up).
static (string[] Outputs, double SentencesPerSecond) Decode(IEncoderDecoderModel model, DatePair[] pairs, GenerationOptions options)
{
    const int BatchSize = 250;
    var sources = pairs.Select(pair => DateData.Encode(pair.Source)).ToArray();
    Generate(sources.Take(8).ToArray());
    var clock = Stopwatch.StartNew();
    var outputs = sources.Chunk(BatchSize).SelectMany(Generate).ToArray();
    return (outputs, pairs.Length / clock.Elapsed.TotalSeconds);

    IEnumerable<string> Generate(long[][] batch)
    {
        var generated = options.Beams > 1 ? Seq2SeqGenerator.BeamSearch(model, batch, options) : Seq2SeqGenerator.Greedy(model, batch, options);
        return generated.Select(sequence => DateData.Decode(sequence.Tokens));
    }
}

static double Accuracy(string[] outputs, DatePair[] pairs) => outputs.Zip(pairs).Count(item => item.First == item.Second.Target) / (double)pairs.Length;

// What the models are declared with must fit the data, and no held-out source sentence may occur in training.
static void CheckData(DateSplits data)
{
    foreach (var spec in new[] { VanillaTranslator.Spec, LiteTranslator.Spec })
    {
        if (spec.Vocab != DateData.VocabularySize || spec.Encoder!.Vocab is not (0 or DateData.VocabularySize))
            throw new InvalidOperationException($"{spec.Name} is declared with Vocab = {spec.Vocab}; the data has {DateData.VocabularySize} ids.");
        if (data.LongestSource > spec.Encoder.MaxLength || 10 + 1 > spec.MaxLength)
            throw new InvalidOperationException($"{spec.Name}'s MaxLength is too short for sources of {data.LongestSource} characters and targets of 10.");
    }
    var training = data.Train.Select(pair => pair.Source).ToHashSet();
    int shared = data.Validation.Concat(data.Test).Count(pair => training.Contains(pair.Source));
    if (shared > 0)
        throw new InvalidOperationException($"{shared} held-out source sentences occur in training.");
}

static string Describe(ModelCard card, int sentenceLength) =>
    $"Dim {card.Spec.Dim}, {card.Spec.Encoder!.Depth} encoder + {card.Spec.Depth} decoder layers of {card.Spec.AttentionAt(0).AttributeName}, " +
    $"feed-forward {card.Spec.FeedForward.Hidden}; {Grouped(card.ParameterCount)} parameters, {Grouped(card.MultAddsPerSentence(sentenceLength))} Mult-Adds per sentence";

static string Grouped(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

static string Percent(double fraction) => (100 * fraction).ToString("0.0", CultureInfo.InvariantCulture) + " %";

internal sealed record Result(string Name, ModelCard Card, TrainingReport Report, string[] Greedy, double GreedyRate, string[]? Beam, double BeamRate, string LossPlot);
