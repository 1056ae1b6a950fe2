// T2R's comparison in miniature (Kasai et al., 2021, "Finetuning Pretrained Transformers into RNNs"): pretrain a softmax
// GPT until attention matters, swap its attention for T2R (learned ReLU features), ELU or FAVOR+ with the generated
// ConvertFrom and finetune briefly; train the same linear models from scratch for as many steps; compare T2R's feature
// sizes and finetuning with distillation from the softmax model; time generation with Step. Prints the tables, writes
// the plots to --out and the rows to --json.
// `dotnet run -c Release --project examples/T2RSwap -- --help` lists the options (CommandLine.cs).
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using T2RSwapExample;
using TorchSharp;
using XformerDsl.Attention.Linear;
using XformerDsl.Modules;
using XformerDsl.Training;
using static TorchSharp.torch;

var (settings, exitCode) = CommandLine.Parse(args);
if (settings is null)
    return exitCode;
int pretrainSteps = settings.PretrainSteps, finetuneSteps = settings.Finetune;

// 1. The repository's own *.md and *.cs text, as bytes.
var corpus = TextCorpus.FromEnclosingRepository();
var train = ByteTokenizer.Encode(corpus.Train.Span);
var validation = ByteTokenizer.Encode(corpus.Validation.Span);
torch.set_num_threads(Environment.ProcessorCount);
var display = Enum.Parse<ProgressDisplay>(settings.Progress, ignoreCase: true);   // the command line allows only its names

TrainingOptions Options(int steps, double learningRate) => new()
{
    MaxSteps = steps,
    BatchSize = settings.Batch,
    SequenceLength = settings.Seq,
    LearningRate = learningRate,
    WarmupSteps = Math.Clamp(steps / 10, 1, 50),
    EvaluationInterval = TrainingOptions.EvaluationIntervalFor(steps),
    EvaluationBatches = 4,
    LogInterval = Math.Max(1, steps / 4),
    Seed = settings.Seed,
};
// Every perplexity in the tables is measured on the same 16 validation batches.
var windows = Trainer.ValidationWindows(validation, Options(1, 1) with { EvaluationBatches = 16 });
double Perplexity(nn.Module<Tensor, Tensor> model) => Math.Exp(Trainer.ValidationLoss(model, validation, windows, settings.Seq));
var rows = new List<ComparisonRow>();
var generation = new Dictionary<string, Generation>();   // per architecture: it does not depend on the weights

AnsiConsole.MarkupLine(Markup.Escape(
    $"T2R's comparison on {corpus.Description}: pretraining {pretrainSteps} steps, finetuning {finetuneSteps}, from scratch {pretrainSteps + finetuneSteps}; " +
    $"batch {settings.Batch} × seq {settings.Seq}; generation of {settings.Tokens} tokens; {Environment.ProcessorCount} threads"));

// 2. Pretrain the softmax model, or reuse the checkpoint a run with the same settings saved.
var checkpoint = new CheckpointOptions
{
    Path = Path.Combine(settings.Out, $"softmax-{pretrainSteps}steps-seed{settings.Seed}.safetensors"),
    Interval = 0,
    Resume = true,
};
bool reused = File.Exists(Checkpoint.MetadataPath(checkpoint.Path));
Section(reused ? $"SoftmaxGpt: reusing the pretrained checkpoint {checkpoint.Path}" : $"Pretraining SoftmaxGpt for {Steps(pretrainSteps)} (saved to {checkpoint.Path})");
torch.manual_seed(settings.Seed);
using var softmax = new SoftmaxGpt();
TrainingReport pretraining;
try
{
    pretraining = Trainer.Train(softmax, train, validation, Options(pretrainSteps, settings.PretrainLearningRate), display, checkpoint);
}
catch (InvalidDataException e)
{
    Console.Error.WriteLine(e.Message + $" Delete {checkpoint.Path} to pretrain afresh.");
    return 1;
}
double softmaxPerplexity = Perplexity(softmax);
generation["softmax"] = Generation.Measure(softmax, settings.Tokens);
rows.Add(new("softmax", "pretrained", null, false, pretrainSteps, null, softmaxPerplexity, generation["softmax"]));
AnsiConsole.MarkupLine(Markup.Escape($"SoftmaxGpt: validation perplexity {Format(softmaxPerplexity)} per byte (loss {Format(Math.Log(softmaxPerplexity))} nats)"));

// 3. Swap then finetune; then the same architecture from scratch at equal compute.
var main = new[] { Candidates.T2R32, Candidates.Elu, Candidates.Favor };
foreach (var candidate in main)
{
    rows.Add(SwapThenFinetune(candidate, distillation: null, showNewWeights: candidate == Candidates.T2R32));
    rows.Add(FromScratch(candidate));
}

// 4. T2R's feature size: perplexity after finetuning against generation speed.
foreach (var candidate in new[] { Candidates.T2R8, Candidates.T2R16, Candidates.T2R64 })
    rows.Add(SwapThenFinetune(candidate, distillation: null, showNewWeights: false));

// 5. Finetuning against the softmax teacher's distribution as well as the text.
rows.Add(SwapThenFinetune(Candidates.T2R32, new Distillation(softmax, settings.DistillWeight, settings.Temperature), showNewWeights: false));

// 6. The tables, the plots, the JSON.
Section("Results");
AnsiConsole.MarkupLine(Markup.Escape(
    $"m: features per head; ppl swap: validation perplexity per byte right after the swap; ppl end: after training; " +
    $"tok/s and MiB: greedy generation of {settings.Tokens} tokens with Step, batch 1 (peak memory rise)."));
ComparisonTable.Write("swap + finetune against from scratch", rows.Where(r => r.Features is null or 32 && !r.Distilled));
ComparisonTable.Write("T2R's feature size (swap + finetune)", rows.Where(r => r.Model == "t2r" && r.Init == "swap" && !r.Distilled).OrderBy(r => r.Features));
ComparisonTable.Write("distillation (T2R, 32 features)", rows.Where(r => r.Model == "t2r" && r.Init == "swap" && r.Features == 32));
var plot = FeatureSizePlot.Save(rows.Where(r => r.Model == "t2r" && r.Init == "swap" && !r.Distilled).OrderBy(r => r.Features).ToList(),
    softmaxPerplexity, generation["softmax"], Path.Combine(settings.Out, "feature-size.png"));
var lossPlot = LossPlot.Save(pretraining, (long)settings.Batch * settings.Seq, Path.Combine(settings.Out, "softmax-loss.png"), SoftmaxGpt.Spec.Name + " (pretraining)");
AnsiConsole.MarkupLine($"plots: [link]{Markup.Escape(plot)}[/], [link]{Markup.Escape(lossPlot)}[/]");
if (settings.Json is { } jsonPath)
{
    var directory = Path.GetDirectoryName(Path.GetFullPath(jsonPath));
    if (directory is not null) Directory.CreateDirectory(directory);
    File.WriteAllText(jsonPath, JsonSerializer.Serialize(rows.Select(r => r.ToJson()), new JsonSerializerOptions { WriteIndented = true }) + "\n");
    AnsiConsole.MarkupLine($"rows: [link]{Markup.Escape(jsonPath)}[/]");
}
return 0;

// Converts the pretrained softmax model, measures it, finetunes it (with a teacher when distilling), measures again.
ComparisonRow SwapThenFinetune(Candidate candidate, Distillation? distillation, bool showNewWeights)
{
    string label = $"{candidate.Name}{(candidate.Features is { } f ? $" ({f} features)" : "")}{(distillation is null ? "" : ", distilled")}";
    Section($"Swap to {label}, then finetune for {Steps(finetuneSteps)}");
    torch.manual_seed(settings.Seed);
    using var model = candidate.Convert(softmax, out var newParameters);
    if (candidate.Model == "t2r" && settings.FeatureInit != LearnedReluInitialisation.Normal)
        LearnedReluInitialiser.Apply(model, settings.FeatureInit);
    if (showNewWeights)
    {
        var weights = model.state_dict();
        AnsiConsole.MarkupLine(Markup.Escape($"Weights only the converted model has (initialised {settings.FeatureInit.ToString().ToLowerInvariant()}, see --feature-init; learned by finetuning); every other weight is copied:"));
        foreach (var name in newParameters)
            AnsiConsole.MarkupLine(Markup.Escape($"  {name} [{string.Join(", ", weights[name].shape)}]"));
    }
    double afterSwap = Perplexity(model);
    AnsiConsole.MarkupLine(Markup.Escape($"right after the swap: perplexity {Format(afterSwap)}"));
    Trainer.Train(model, train, validation, Options(finetuneSteps, settings.FinetuneLearningRate), display, distillation: distillation);
    double finetuned = Perplexity(model);
    var speed = generation.TryGetValue(candidate.Key, out var known) ? known : generation[candidate.Key] = Generation.Measure((IRecurrentLanguageModel)model, settings.Tokens);
    return new(candidate.Model, "swap", candidate.Features, distillation is not null, finetuneSteps, afterSwap, finetuned, speed);
}

// The same architecture from random weights, trained for the pretraining and finetuning steps together.
ComparisonRow FromScratch(Candidate candidate)
{
    int steps = pretrainSteps + finetuneSteps;
    Section($"{candidate.Name} from scratch for {Steps(steps)}");
    torch.manual_seed(settings.Seed);
    using var model = candidate.Create();
    Trainer.Train(model, train, validation, Options(steps, settings.PretrainLearningRate), display);
    return new(candidate.Model, "scratch", candidate.Features, false, steps, null, Perplexity(model), generation[candidate.Key]);
}

static void Section(string title)
{
    AnsiConsole.WriteLine();
    AnsiConsole.Write(new Rule($"[bold]{Markup.Escape(title)}[/]").LeftJustified());
}

static string Steps(int count) => count == 1 ? "1 step" : $"{count} steps";

static string Format(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);
