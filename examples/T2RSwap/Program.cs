// Swap-then-finetune (Kasai et al., 2021, T2R): train a softmax model briefly, convert it to learned-feature linear
// attention with the generated ConvertFrom, finetune, and compare validation perplexity at each stage and generation
// speed and memory of the recurrent Step against the softmax model's key-value cache.
// Plots both trainings' losses in runs/t2rswap/.
// `dotnet run -c Release --project examples/T2RSwap -- [softmaxSteps] [finetuneSteps] [tokens]`; --help describes them.
using System.Diagnostics;
using System.Globalization;
using T2RSwapExample;
using TorchSharp;
using XformerDsl.Modules;
using XformerDsl.Training;
using static TorchSharp.torch;

var (settings, exitCode) = CommandLine.Parse(args);
if (settings is null)
    return exitCode;
var (softmaxSteps, finetuneSteps, generatedTokens) = (settings.SoftmaxSteps, settings.FinetuneSteps, settings.GeneratedTokens);

// 1. The repository's own *.md and *.cs text, as bytes.
var corpus = TextCorpus.FromEnclosingRepository();
var train = ByteTokenizer.Encode(corpus.Train.Span);
var validation = ByteTokenizer.Encode(corpus.Validation.Span);
torch.set_num_threads(Environment.ProcessorCount);
torch.manual_seed(7);

TrainingOptions Options(int steps) => new()
{
    MaxSteps = steps,
    BatchSize = 8,
    SequenceLength = 128,
    LearningRate = 2e-3,
    WarmupSteps = Math.Max(1, steps / 10),
    EvaluationInterval = steps,
    EvaluationBatches = 8,
    LogInterval = Math.Max(1, steps / 4),
    Seed = 7,
};
var windows = Trainer.ValidationWindows(validation, Options(1));
double Perplexity(nn.Module<Tensor, Tensor> model) => Math.Exp(Trainer.ValidationLoss(model, validation, windows, Options(1).SequenceLength));

// 2. Train the softmax model.
Console.WriteLine($"Training SoftmaxGpt for {softmaxSteps} steps (batch 8 × seq 128) on {corpus.Description}");
using var softmax = new SoftmaxGpt();
var softmaxReport = Trainer.Train(softmax, train, validation, Options(softmaxSteps), ProgressDisplay.Lines);
double softmaxPerplexity = Perplexity(softmax);

// 3. Convert: every shared weight is copied; the T2R feature maps are new.
using var linear = LinearGpt.ConvertFrom(softmax, out var newParameters);
Console.WriteLine();
Console.WriteLine("New weights in LinearGpt (initialised, learned by finetuning):");
var weights = linear.state_dict();
foreach (var name in newParameters)
    Console.WriteLine($"  {name} [{string.Join(", ", weights[name].shape)}]");
double convertedPerplexity = Perplexity(linear);

// 4. Finetune the converted model.
Console.WriteLine();
Console.WriteLine($"Finetuning LinearGpt for {finetuneSteps} steps");
var finetuneReport = Trainer.Train(linear, train, validation, Options(finetuneSteps), ProgressDisplay.Lines);
double finetunedPerplexity = Perplexity(linear);

Console.WriteLine();
Console.WriteLine("Validation perplexity (bytes)");
Console.WriteLine($"  softmax model                 {softmaxPerplexity,8:0.00}");
Console.WriteLine($"  right after conversion        {convertedPerplexity,8:0.00}");
Console.WriteLine($"  after finetuning              {finetunedPerplexity,8:0.00}");

// 5. Generation with Step: the linear model's state is fixed-size, the softmax model's key-value cache grows.
softmax.eval();
linear.eval();
Console.WriteLine();
Console.WriteLine($"Greedy generation of {generatedTokens} tokens, batch 1, with Step");
foreach (var (name, model) in new (string, IRecurrentLanguageModel)[] { ("softmax + KV cache", softmax), ("T2R recurrent", linear) })
{
    Generate(model, 16);   // warm up
    double seconds = 0;
    double? peak = ProcessMemory.PeakMebibytes(() => seconds = Generate(model, generatedTokens));
    Console.WriteLine($"  {name,-20} {generatedTokens / seconds,10:0.0} tokens/s   peak memory +{(peak is { } p ? p.ToString("0.0", CultureInfo.InvariantCulture) + " MiB" : "n/a (Linux only)")}");
}

// 6. The two trainings' losses against the tokens each trained on.
Console.WriteLine();
long tokensPerStep = (long)Options(1).BatchSize * Options(1).SequenceLength;
Console.WriteLine($"loss plots: {LossPlot.Save(softmaxReport, tokensPerStep, Path.Combine("runs", "t2rswap", "softmax-loss.png"), SoftmaxGpt.Spec.Name)}, " +
    $"{LossPlot.Save(finetuneReport, tokensPerStep, Path.Combine("runs", "t2rswap", "finetune-loss.png"), LinearGpt.Spec.Name + " (finetuning)")}");
return 0;

// Feeds token 0, then each most likely next token; returns the seconds it took.
static double Generate(IRecurrentLanguageModel model, int tokens)
{
    using var noGrad = no_grad();
    using var state = model.CreateState(1);
    var next = zeros(new long[] { 1 }, ScalarType.Int64);
    var clock = Stopwatch.StartNew();
    for (int i = 0; i < tokens; i++)
    {
        using var scope = NewDisposeScope();
        var chosen = model.Step(state, next).argmax(-1);
        next.Dispose();
        next = chosen.DetachFromDisposeScope();
    }
    next.Dispose();
    return clock.Elapsed.TotalSeconds;
}
