// Trains a Reformer (LSH attention, reversible blocks, chunked feed-forward) on 16,384-byte contexts of this
// repository's text, then measures one training step of it and of the same model under full attention, and prints
// what full attention's standard composition would need at this length next to this machine's memory; plots the loss in
// runs/reformer/loss.png.
// Usage: dotnet run -c Release --project examples/Reformer -- [--seq 16384] [--steps 40] [--minutes 3] [--no-full-step]; --help lists them.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using ReformerExample;
using Spectre.Console;
using TorchSharp;
using XformerDsl.Training;
using static TorchSharp.torch;

var (settings, exitCode) = CommandLine.Parse(args);
if (settings is null)
    return exitCode;
var (seq, steps, minutes, measureFull) = (settings.Seq, settings.Steps, settings.Minutes, settings.MeasureFull);

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
{
    Console.Error.WriteLine($"The validation text has {validation.Length:N0} bytes, fewer than one context of {seq:N0}.");
    return 1;
}

// This application opts in to keeping large blocks in glibc's heap: at 16,384 positions LSH's sorting and gathering
// make tensors of 32 MiB and more every step, which would otherwise be faulted in fresh each time (README).
bool reusing = NativeMemoryPolicy.ReuseLargeAllocations();
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
var lsh = ByteReformer.Spec.AttentionAt(0);
AnsiConsole.MarkupLine($"[bold]{Markup.Escape(corpus.Description)}[/]: {train.Length:N0} training bytes; contexts of {seq:N0} bytes, up to {steps} steps or {minutes:0.#} minutes.");
AnsiConsole.MarkupLine(Markup.Escape($"ByteReformer: {ByteReformer.Spec.Depth} reversible blocks × {ByteReformer.Spec.Dim} wide, {ByteReformer.Card.AttentionComplexity}; " +
    $"large allocations {(reusing ? "reused from the heap" : "left to the system's defaults")}."));

torch.manual_seed(options.Seed);
using var model = new ByteReformer();
var report = Trainer.Train(model, train, validation, options, ProgressDisplay.Lines);

// One training step (forward, loss, backward) on one context, timed and with its peak memory, for either model.
var context = tensor(validation.AsSpan(0, seq).ToArray(), dtype: int64).unsqueeze(0);
var targets = tensor(validation.AsSpan(1, seq).ToArray(), dtype: int64).unsqueeze(0);
(double Seconds, double? PeakMib) MeasureStep(nn.Module<Tensor, Tensor> measured)
{
    measured.train();
    void Step()
    {
        using var scope = NewDisposeScope();
        measured.zero_grad();
        Trainer.LanguageModelLoss(measured.call(context), targets).backward();
    }
    Step();   // the gradients exist from here on, so the peak below is the step's own working memory
    double seconds = 0;
    double? peak = ProcessMemory.PeakMebibytes(() =>
    {
        var clock = Stopwatch.StartNew();
        Step();
        seconds = clock.Elapsed.TotalSeconds;
    });
    return (seconds, peak);
}

AnsiConsole.Write(new Rule("one training step at this length").LeftJustified());
AnsiConsole.MarkupLine("[grey]measuring the Reformer...[/]");
var reformerStep = MeasureStep(model);
(double Seconds, double? PeakMib)? fullStep = null;
if (measureFull)
{
    AnsiConsole.MarkupLine("[grey]measuring the same model with full attention (fused kernel, O(L²) time)...[/]");
    torch.manual_seed(options.Seed);
    using var full = new FullAttentionByteReformer();
    fullStep = MeasureStep(full);
}

// Full attention's standard composition, softmax(QKᵀ/√d)·V, materialises the attention weights P, batch × heads × L²
// values per layer. Its backward pass needs P (saved by the forward pass), dP and dS = dsoftmax(dP) at once: three
// such matrices for the one layer being differentiated, even with reversible blocks; without them the forward pass
// also keeps every layer's P.
double Gib(double bytes) => bytes / (1L << 30);
double weights = (double)options.BatchSize * lsh.Heads * seq * (double)seq * sizeof(float);
double composedReversible = 3 * weights, composedPlain = ByteReformer.Spec.Depth * weights + 2 * weights;
double? machine = ProcessMemory.MachineMebibytes() is double mib ? mib / 1024 : null;

var table = new Table().Border(TableBorder.Rounded).AddColumn("model, one training step at " + seq.ToString("N0", CultureInfo.InvariantCulture))
    .AddColumn(new TableColumn("memory").RightAligned()).AddColumn(new TableColumn("time").RightAligned());
string Peak(double? peak) => peak is double p ? $"{p:N0} MiB peak (measured)" : "n/a";
table.AddRow("Reformer: LSH, reversible, chunked feed-forward", Peak(reformerStep.PeakMib), $"{reformerStep.Seconds:0.0} s (measured)");
if (fullStep is { } f)
    table.AddRow("same model, full attention, XformerDsl's fused kernel", Peak(f.PeakMib), $"{f.Seconds:0.0} s (measured)");
table.AddRow("same model, full attention composed as softmax(QKᵀ)V, reversible",
    $"≥ {Gib(composedReversible):0.0} GiB (P, dP, dS: 3 × {Gib(weights):0.0} GiB)", "not run");
table.AddRow("same, without reversible blocks",
    $"≥ {Gib(composedPlain):0.0} GiB ({ByteReformer.Spec.Depth} stored P + dP, dS)", "not run");
AnsiConsole.Write(table);

AnsiConsole.MarkupLine(Markup.Escape(
    $"Training: loss {report.InitialLoss:0.00} → {report.FinalTrainLoss:0.00} in {report.Steps} steps ({report.Elapsed.TotalMinutes:0.0} min, {report.TokensPerSecond:N0} tokens/s)" +
    (report.FinalValidationLoss is double v ? $", validation {v:0.00}." : ".")));
if (machine is double total)
{
    bool fits = reformerStep.PeakMib is double p && p / 1024 < total;
    AnsiConsole.MarkupLine(Markup.Escape(
        $"This machine has {total:0.0} GiB. The Reformer's step {(fits ? "fits" : "was measured")}; full attention as composed would need at least " +
        $"{Gib(composedReversible):0.0} GiB for its attention weights alone{(Gib(composedReversible) > total ? ", more than the machine has" : "")}." +
        (fullStep is { } g ? $" XformerDsl's fused full-attention kernel never materialises them, so it fits too, but its step takes {g.Seconds / reformerStep.Seconds:0.0}× as long." : "")));
}

// A short continuation of the validation text, from a 1,024-byte prompt (evaluation mode; LSH hashing fixed by Seed).
AnsiConsole.Write(new Rule("[grey]sample[/]").LeftJustified());
var prompt = validation.AsSpan(seq - 1024, 1024).ToArray();
var decoder = Encoding.UTF8.GetDecoder();
var characters = new char[4];
Console.Out.Write("…" + Encoding.UTF8.GetString(prompt.Skip(prompt.Length - 120).Select(t => (byte)t).ToArray()));
AnsiConsole.Markup("[bold yellow]⟩[/]");
Sampler.Generate(model, prompt, new SamplingOptions { ContextLength = 1024, MaxNewTokens = 64, Temperature = 0.8, Seed = options.Seed }, token =>
{
    byte[] one = [(byte)token];
    int count = decoder.GetChars(one, 0, 1, characters, 0, flush: false);
    if (count > 0) Console.Out.Write(characters, 0, count);
});
Console.Out.WriteLine();
var lossPlot = LossPlot.Save(report, (long)options.BatchSize * options.SequenceLength, Path.Combine("runs", "reformer", "loss.png"), ByteReformer.Spec.Name);
AnsiConsole.MarkupLine($"loss plot: [link]{Markup.Escape(lossPlot)}[/]");
return 0;
