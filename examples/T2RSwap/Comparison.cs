using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;
using TorchSharp;
using XformerDsl.Modules;
using XformerDsl.Training;
using static TorchSharp.torch;

namespace T2RSwapExample;

/// <summary>A generated <c>ConvertFrom</c>: a linear model holding every weight it shares with the softmax model.</summary>
internal delegate nn.Module<Tensor, Tensor> Converter(SoftmaxGpt source, out IReadOnlyList<string> newParameters);

/// <summary>A linear-attention model of the comparison: how to convert the softmax model to it, and how to make it fresh.</summary>
/// <param name="Name">For the console: "T2R", "ELU", "FAVOR+".</param>
/// <param name="Model">The JSON <c>model</c> field: t2r, elu or favor.</param>
/// <param name="Features">Features per head (ELU keeps the head size, 32).</param>
/// <param name="Convert">The generated ConvertFrom.</param>
/// <param name="Create">A model with random weights.</param>
internal sealed record Candidate(string Name, string Model, int Features, Converter Convert, Func<nn.Module<Tensor, Tensor>> Create)
{
    /// <summary>One per architecture: generation speed and memory are measured once per key.</summary>
    public string Key => $"{Model}{Features}";
}

/// <summary>The models of T2R32Gpt.cs.</summary>
internal static class Candidates
{
    public static readonly Candidate T2R8 = new("T2R", "t2r", 8, T2R8Gpt.ConvertFrom, () => new T2R8Gpt());
    public static readonly Candidate T2R16 = new("T2R", "t2r", 16, T2R16Gpt.ConvertFrom, () => new T2R16Gpt());
    public static readonly Candidate T2R32 = new("T2R", "t2r", 32, T2R32Gpt.ConvertFrom, () => new T2R32Gpt());
    public static readonly Candidate T2R64 = new("T2R", "t2r", 64, T2R64Gpt.ConvertFrom, () => new T2R64Gpt());
    public static readonly Candidate Elu = new("ELU", "elu", 32, EluGpt.ConvertFrom, () => new EluGpt());
    public static readonly Candidate Favor = new("FAVOR+", "favor", 32, FavorGpt.ConvertFrom, () => new FavorGpt());
}

/// <summary>Tokens per second and peak memory of greedy generation with <c>Step</c>, batch 1.</summary>
internal sealed record Generation(int Tokens, double TokensPerSecond, double? PeakMemoryMb)
{
    /// <summary>
    /// Generates <paramref name="tokens"/> tokens greedily from token 0 in evaluation mode (after up to 1,024 tokens of warm-up) and
    /// measures the time and the rise of the process's peak memory (Linux; null elsewhere). The model's mode is restored.
    /// </summary>
    public static Generation Measure(IRecurrentLanguageModel model, int tokens)
    {
        var module = (nn.Module)model;
        bool wasTraining = module.training;
        module.eval();
        try
        {
            // A long warm-up: the process's first ~600 steps fill the .NET GC's first gen0 budget (about 29 KB of managed
            // wrappers per step) and libtorch's arenas, a one-off rise of about 27 MiB that would otherwise be charged to
            // whichever model is measured first.
            Sampler.TimeGreedySteps(model, 1, Math.Min(tokens, 1024));
            double seconds = 0;
            double? peak = ProcessMemory.PeakMebibytes(() => seconds = Sampler.TimeGreedySteps(model, 1, tokens));
            return new(tokens, tokens / seconds, peak);
        }
        finally
        {
            module.train(wasTraining);
        }
    }
}

/// <summary>One row of the comparison, as printed and as written by <c>--json</c>.</summary>
/// <param name="Model">softmax, t2r, elu or favor.</param>
/// <param name="Init">pretrained (the softmax model), swap (converted from it, then finetuned) or scratch (random weights).</param>
/// <param name="Features">Features per head of a linear model; null for softmax.</param>
/// <param name="Distilled">Whether finetuning also matched the softmax teacher's distribution.</param>
/// <param name="Steps">Training steps of this model (finetuning only, for a swap).</param>
/// <param name="PerplexityAfterSwap">Validation perplexity right after the conversion; null where there was none.</param>
/// <param name="Perplexity">Validation perplexity per byte at the end.</param>
/// <param name="Generation">Speed and memory of generation with Step (measured once per architecture).</param>
internal sealed record ComparisonRow(string Model, string Init, int? Features, bool Distilled, int Steps, double? PerplexityAfterSwap, double Perplexity, Generation Generation)
{
    /// <summary>The JSON object, with the field names other tools read.</summary>
    public JsonObject ToJson() => new()
    {
        ["model"] = Model,
        ["init"] = Init,
        ["features"] = Features,
        ["distilled"] = Distilled,
        ["steps"] = Steps,
        ["perplexityAfterSwap"] = PerplexityAfterSwap is { } swap ? Math.Round(swap, 4) : null,
        ["perplexity"] = Math.Round(Perplexity, 4),
        ["generatedTokens"] = Generation.Tokens,
        ["tokensPerSecond"] = Math.Round(Generation.TokensPerSecond, 1),
        ["peakMemoryMb"] = Generation.PeakMemoryMb is { } peak ? Math.Round(peak, 1) : null,
    };
}

/// <summary>The printed tables.</summary>
internal static class ComparisonTable
{
    private static readonly Dictionary<string, string> s_names = new() { ["softmax"] = "softmax", ["t2r"] = "T2R", ["elu"] = "ELU", ["favor"] = "FAVOR+" };

    public static void Write(string title, IEnumerable<ComparisonRow> rows)
    {
        var table = new Table().RoundedBorder().Title(Markup.Escape(title));
        table.AddColumn("model");
        table.AddColumn("init");
        // Short headers: redirected output is 80 columns wide. m = features per head; ppl = validation perplexity per byte.
        foreach (var column in new[] { "m", "steps", "ppl swap", "ppl end", "tok/s", "MiB" })
            table.AddColumn(new TableColumn(column).RightAligned());
        foreach (var r in rows)
        {
            string init = r.Init switch { "swap" => r.Distilled ? "swap+distil" : "swap+finetune", _ => r.Init };
            table.AddRow(
                s_names[r.Model], init, r.Features?.ToString(CultureInfo.InvariantCulture) ?? "-", r.Steps.ToString(CultureInfo.InvariantCulture),
                r.PerplexityAfterSwap is { } swap ? Format(swap) : "-", Format(r.Perplexity),
                r.Generation.TokensPerSecond.ToString("0", CultureInfo.InvariantCulture),
                r.Generation.PeakMemoryMb is { } peak ? peak.ToString("0.0", CultureInfo.InvariantCulture) : "n/a");
        }
        AnsiConsole.Write(table);
    }

    private static string Format(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);
}
