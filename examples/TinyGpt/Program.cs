// Trains TinyGpt (TinyGpt.cs) as a byte-level language model on this repository's own prose and code, shows progress,
// saves a checkpoint and a plot of its loss (loss.png, next to it) and prints samples.
// `dotnet run -c Release --project examples/TinyGpt -- --help` lists the options (CommandLine.cs).
using System.Globalization;
using System.Text;
using Spectre.Console;
using TinyGptExample;
using TorchSharp;
using XformerDsl.Training;

var (settings, exitCode) = CommandLine.Parse(args);
if (settings is null)
    return exitCode;
if (settings.Seq > TinyGpt.Spec.MaxLength)
{
    Console.Error.WriteLine($"--seq {settings.Seq} is longer than TinyGpt's MaxLength ({TinyGpt.Spec.MaxLength}).");
    return 2;
}

// 1. The text: --data, or the repository this example ships in.
TextCorpus corpus;
try
{
    corpus = settings.Data is { } data ? TextCorpus.FromPath(data) : RepositoryCorpus();
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
var trainTokens = ByteTokenizer.Encode(corpus.Train.Span);
var validationTokens = ByteTokenizer.Encode(corpus.Validation.Span);
if (trainTokens.Length < settings.Seq + 1)
{
    Console.Error.WriteLine($"The training text has {trainTokens.Length} bytes; --seq {settings.Seq} needs at least {settings.Seq + 1}. Pass more text with --data or a shorter --seq.");
    return 1;
}

// 2. The model, as the generator completed it.
var options = new TrainingOptions
{
    MaxSteps = settings.Steps,
    TimeBudget = TimeSpan.FromMinutes(settings.Minutes),
    BatchSize = settings.Batch,
    SequenceLength = settings.Seq,
    LearningRate = settings.LearningRate,
    WarmupSteps = Math.Min(50, Math.Max(1, settings.Steps / 10)),
    EvaluationInterval = TrainingOptions.EvaluationIntervalFor(settings.Steps),
    EvaluationBatches = 8,
    LogInterval = 25,
    Seed = settings.Seed,
};
torch.set_num_threads(Environment.ProcessorCount);
torch.manual_seed(settings.Seed);
using var model = new TinyGpt();

var card = TinyGpt.Card;
var overview = new Grid().AddColumn().AddColumn();
overview.AddRow("[bold]model[/]", Markup.Escape($"{TinyGpt.Spec.Name}: {TinyGpt.Spec.Depth} layers × {TinyGpt.Spec.Dim} wide, {TinyGpt.Spec.AttentionAt(0).Heads} heads, vocab {TinyGpt.Spec.Vocab}, MaxLength {TinyGpt.Spec.MaxLength}"));
overview.AddRow("[bold]card[/]", Markup.Escape(string.Join("\n", card.Describe())));
overview.AddRow("[bold]data[/]", Markup.Escape($"{corpus.Description}: {Size(corpus.Train.Length)} train, {Size(corpus.Validation.Length)} validation"));
overview.AddRow("[bold]training[/]", Markup.Escape(
    $"batch {options.BatchSize} × seq {options.SequenceLength}, AdamW lr {options.LearningRate.ToString("G3", CultureInfo.InvariantCulture)} (warm-up {options.WarmupSteps}, cosine), " +
    $"up to {options.MaxSteps} steps or {settings.Minutes.ToString("0.##", CultureInfo.InvariantCulture)} min, {Environment.ProcessorCount} threads, seed {options.Seed}"));
AnsiConsole.Write(new Panel(overview).Header("TinyGpt").Expand());

// 3. Training.
var display = Enum.Parse<ProgressDisplay>(settings.Progress, ignoreCase: true);   // the command line allows only its names
// The run saves a resumable checkpoint at every validation and at its end; --resume continues from it.
var checkpoints = new CheckpointOptions { Path = Path.Combine(settings.Out, "tinygpt.safetensors"), Interval = options.EvaluationInterval, Resume = settings.Resume };
TrainingReport report;
try
{
    report = Trainer.Train(model, trainTokens, validationTokens, options, display, checkpoints);
}
catch (InvalidDataException e) when (settings.Resume)
{
    // The checkpoint is of another model or run (its message names what differs).
    Console.Error.WriteLine(e.Message);
    return 1;
}

var results = new Table().Border(TableBorder.Rounded).AddColumn("").AddColumn(new TableColumn("").RightAligned()).HideHeaders();
results.AddRow("steps", $"{report.Steps} (stopped by {(report.StoppedBy == StopReason.MaxSteps ? "the step limit" : "the time budget")})");
results.AddRow("train loss", $"{Loss(report.InitialLoss)} → {Loss(report.FinalTrainLoss)}");
if (report.FinalValidationLoss is { } finalValidation)
    results.AddRow("validation loss", $"{Loss(report.InitialValidationLoss ?? double.NaN)} → {Loss(finalValidation)}  ({(finalValidation / Math.Log(2)).ToString("0.00", CultureInfo.InvariantCulture)} bits per byte)");
results.AddRow("throughput", $"{TrainingConsole.FormatRate(report.TokensPerSecond)} tokens/s ≈ {(6.0 * card.MacsPerToken(options.SequenceLength) * report.TokensPerSecond / 1e9).ToString("0.0", CultureInfo.InvariantCulture)} GFLOP/s");
results.AddRow("time", TrainingConsole.FormatDuration(report.Elapsed));
AnsiConsole.Write(new Panel(results).Header("result"));

// 4. The checkpoint the run saved, and the loss plot.
var checkpoint = checkpoints.Path;
AnsiConsole.MarkupLine($"checkpoint: [link]{Markup.Escape(checkpoint)}[/] (+ {Markup.Escape(Path.GetFileName(Checkpoint.MetadataPath(checkpoint)))}; continue with --resume)");
var lossPlot = LossPlot.Save(report, (long)options.BatchSize * options.SequenceLength, Path.Combine(settings.Out, "loss.png"), TinyGpt.Spec.Name);

// 5. Samples. Learned positions past the training length are untrained, so the context is cropped to it.
if (settings.SampleTokens > 0)
{
    var sampling = new SamplingOptions
    {
        ContextLength = Math.Min(TinyGpt.Spec.MaxLength, options.SequenceLength),
        MaxNewTokens = settings.SampleTokens,
        Temperature = settings.Temperature,
        TopK = settings.TopK,
        Seed = settings.Seed,
    };
    string[] prompts = ["/// <summary>", "public static ", "## "];
    foreach (var (prompt, index) in prompts.Select((prompt, index) => (prompt, index)))
    {
        AnsiConsole.WriteLine();
        AnsiConsole.Write(new Rule($"[grey]sample, temperature {settings.Temperature.ToString("0.##", CultureInfo.InvariantCulture)}[/]").LeftJustified());
        AnsiConsole.Markup($"[bold yellow]{Markup.Escape(prompt)}[/]");
        // Bytes arrive one at a time; a decoder holds back a partial UTF-8 character until it is complete.
        var decoder = Encoding.UTF8.GetDecoder();
        var characters = new char[4];
        // Each prompt its own seed, from --seed: with one seed every sample would take the same draws.
        Sampler.Generate(model, ByteTokenizer.Encode(prompt), sampling.ForSample(index), token =>
        {
            byte[] one = [(byte)token];
            int count = decoder.GetChars(one, 0, 1, characters, 0, flush: false);
            if (count > 0) Console.Out.Write(characters, 0, count);
        });
        Console.Out.WriteLine();
    }
}
AnsiConsole.WriteLine();
AnsiConsole.MarkupLine($"loss plot: [link]{Markup.Escape(lossPlot)}[/]");
return 0;

// The *.md and *.cs files of the repository this example is in, found from where it runs.
TextCorpus RepositoryCorpus()
{
    try
    {
        return TextCorpus.FromEnclosingRepository();
    }
    catch (DirectoryNotFoundException e)
    {
        throw new DirectoryNotFoundException(e.Message + " Or pass --data <file or directory> with text to train on.", e);
    }
}

static string Loss(double loss) => TrainingConsole.FormatLoss(loss);

static string Size(long bytes) => bytes >= 1 << 20
    ? (bytes / (1024.0 * 1024.0)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB"
    : (bytes / 1024.0).ToString("0", CultureInfo.InvariantCulture) + " KiB";
