using System.Globalization;
using System.Text.Json.Serialization;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace XformerDsl.Benchmarks;

/// <summary>
/// One row of the attention suite's JSON: the fields other tools read, in this order. <paramref name="SourceSeq"/>, the
/// keys' length, is written only by the families that attend to another sequence (cross): <c>seq</c> is then the queries'.
/// </summary>
internal sealed record AttentionResult(
    string Suite, string Family, string Impl, int Batch, int Heads, int HeadDim, int Seq, bool Causal,
    double? ForwardMs, double? ForwardBackwardMs, double? PeakMemoryMb,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? SourceSeq = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Memory = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? ForwardGflops = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? ForwardBackwardGflops = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? SgemmGflops = null);

/// <summary>An attention family the suite measures, by its <c>--family</c> name.</summary>
internal interface IAttentionBenchmarkFamily
{
    /// <summary>The <c>--family</c> value, e.g. <c>full</c>.</summary>
    string Name { get; }

    /// <summary>What the family measures and the option values it declares kernels for: its line in the usage text.</summary>
    string Help { get; }

    /// <summary>
    /// Whether queries attend to another sequence, as cross-attention does: its keys and values are
    /// <c>--source-seq</c> long (default: as long as the queries), the rows record it as <c>sourceSeq</c>, and the
    /// attention is bidirectional whatever <c>--causal</c> says. Other families refuse <c>--source-seq</c>.
    /// </summary>
    bool AttendsToSource => false;

    /// <summary>For a family whose queries also attend to a memory before them (xl): its length, recorded as <c>memory</c>; null otherwise.</summary>
    int? Memory(BenchmarkOptions options) => null;

    /// <summary>
    /// The forward's floating-point operations for queries of <paramref name="seq"/> over <paramref name="keys"/> keys,
    /// for families whose work is a plain count (full and cross attention); null where it is not, and the suite then
    /// reports no GFLOP/s.
    /// </summary>
    double? ForwardFlops(BenchmarkOptions options, int seq, int keys, bool causal) => null;

    /// <summary>The implementations to compare, named generated, reference and sdpa, for these options.</summary>
    IReadOnlyList<AttentionImplementation> Implementations(BenchmarkOptions options);
}

/// <summary>An implementation of an attention family: the call, and how much memory it needs beyond its inputs.</summary>
/// <param name="Name">generated, reference or sdpa.</param>
/// <param name="Attend">Maps [batch, heads, seq, headDim] query, key, value (key and value [batch, heads, sourceSeq, headDim] for cross) to the output.</param>
/// <param name="EstimatedBytes">For implementations that materialise [seq × seq] (or [seq × sourceSeq]) matrices: their estimated peak, by seq, to skip runs that cannot fit.</param>
/// <param name="LearnedInputs">Learned tensors the attention reads besides q, k, v (a synthesizer's logits), whose gradients the backward pass computes too, as in training.</param>
internal sealed record AttentionImplementation(string Name, Func<Tensor, Tensor, Tensor, Tensor> Attend, Func<int, double>? EstimatedBytes = null,
    Func<Tensor[]>? LearnedInputs = null);

/// <summary>
/// The attention suite: for every sequence length and implementation, the median time of a forward pass (no
/// gradients), of a forward and backward pass, and the peak memory of one forward and backward pass.
/// </summary>
internal static class AttentionSuite
{
    /// <summary>The suite's line in the usage text.</summary>
    public const string Help =
        "forward and forward+backward time and peak memory of one attention call, per implementation: generated (the " +
        "fused kernel the generator emits), reference (composed from TorchSharp ops, run while its [seq x seq] matrices " +
        "fit the reference budget) and sdpa (libtorch's scaled_dot_product_attention)";

    /// <summary>
    /// Every family the suite can measure, in the order the usage text lists them; a family adds its benchmark class and
    /// model declarations under Families/&lt;Family&gt;/ (as Runtime/Attention/&lt;Family&gt;/) and one line here. The usage
    /// text and the unknown-family error are built from this list.
    /// </summary>
    public static IReadOnlyList<IAttentionBenchmarkFamily> Families { get; } =
    [
        new FullAttentionBenchmark(),
        .. PatternAttentionBenchmark.Families,
        AxialAttentionBenchmark.Family,
        new LinearAttentionBenchmark("linear", XformerDsl.FeatureMap.Elu, "[LinearAttention], elu + 1 feature map; head size 64"),
        new LinearAttentionBenchmark("performer", XformerDsl.FeatureMap.Favor, "[LinearAttention], FAVOR+ with 64 random features; head size 64"),
        new LinearAttentionBenchmark("t2r", XformerDsl.FeatureMap.LearnedRelu, "[LinearAttention], T2R with 32 learned features; head size 64"),
        new LshAttentionBenchmark(),
        new RoutingAttentionBenchmark(),
        new LowRankAttentionBenchmark(),
        new CompressedAttentionBenchmark(),
        new InducedAttentionBenchmark(),
        new SynthesizerAttentionBenchmark(),
        new CrossAttentionBenchmark(),
        new SegmentRecurrenceBenchmark(),
        new SinkhornAttentionBenchmark(),
    ];

    public static IReadOnlyList<AttentionImplementation> Implementations(BenchmarkOptions o) => Family(o).Implementations(o);

    /// <summary>The family <c>--family</c> names; an error naming every family if none, or if it does not take the given options.</summary>
    public static IAttentionBenchmarkFamily Family(BenchmarkOptions o)
    {
        var family = Families.FirstOrDefault(f => f.Name == o.Family)
            ?? throw new ArgumentException($"Unknown family '{o.Family}'; the attention suite knows: {string.Join(", ", Families.Select(f => f.Name))}.");
        if (o.SourceSeq is not null && !family.AttendsToSource)
            throw new ArgumentException($"--source-seq {o.SourceSeq}: the {family.Name} family attends within one sequence; only {string.Join(", ", Families.Where(f => f.AttendsToSource).Select(f => f.Name))} takes a source length.");
        return family;
    }

    public static List<AttentionResult> Run(BenchmarkOptions o)
    {
        var family = Family(o);
        bool causal = o.Causal && !family.AttendsToSource;
        var implementations = Implementations(o).Where(i => o.Impl.Length == 0 || o.Impl.Contains(i.Name)).ToList();
        if (implementations.Count == 0)
            throw new ArgumentException($"--impl {string.Join(",", o.Impl)} names none of: {string.Join(", ", Implementations(o).Select(i => i.Name))}.");
        var results = new List<AttentionResult>();
        double? sgemm = family.ForwardFlops(o, 1, 1, causal) is null ? null : Round(Measurement.SgemmGflops(o));
        if (sgemm is double peak)
            AnsiConsole.MarkupLine($"peak: libtorch sgemm {Measurement.SgemmSize}³ float32 on {o.Threads} threads, {peak:0.0} GFLOP/s in this run");
        foreach (int seq in o.Seq)
        {
            int? sourceSeq = family.AttendsToSource ? o.SourceSeq ?? seq : null;
            var fitting = new List<AttentionImplementation>();
            foreach (var implementation in implementations)
            {
                if (implementation.EstimatedBytes?.Invoke(seq) is double bytes && bytes > o.ReferenceBudgetGb * (1L << 30))
                    AnsiConsole.MarkupLine($"[grey]seq {seq}: {implementation.Name} skipped, it needs about {bytes / (1L << 30):0.#} GiB (--reference-budget-gb {o.ReferenceBudgetGb})[/]");
                else
                    fitting.Add(implementation);
            }
            AnsiConsole.MarkupLine($"[grey]seq {seq}{(sourceSeq is int s ? $", source {s}" : "")}: measuring {string.Join(", ", fitting.Select(i => i.Name))}...[/]");
            var measured = Measure(fitting, o, seq, sourceSeq ?? seq);
            foreach (var implementation in implementations)
            {
                var result = new AttentionResult("attention", o.Family, implementation.Name, o.Batch, o.Heads, o.HeadDim, seq, causal, null, null, null, sourceSeq, family.Memory(o));
                if (measured.TryGetValue(implementation.Name, out var m))
                {
                    result = result with { ForwardMs = Round(m.Forward), ForwardBackwardMs = Round(m.ForwardBackward), PeakMemoryMb = m.Peak is double p ? Round(p) : null };
                    // FLOPs as FlashAttention counts them: the backward's five products are 2.5 times the forward's two.
                    if (family.ForwardFlops(o, seq, sourceSeq ?? seq, causal) is double flops)
                        result = result with
                        {
                            ForwardGflops = Round(flops / (m.Forward * 1e6)),
                            ForwardBackwardGflops = Round(3.5 * flops / (m.ForwardBackward * 1e6)),
                            SgemmGflops = sgemm,
                        };
                }
                results.Add(result);
            }
        }
        return results;
    }

    private static Dictionary<string, (double Forward, double ForwardBackward, double? Peak)> Measure(
        IReadOnlyList<AttentionImplementation> implementations, BenchmarkOptions o, int seq, int keys)
    {
        manual_seed(seq);
        var shape = new long[] { o.Batch, o.Heads, seq, o.HeadDim };
        var keyShape = new long[] { o.Batch, o.Heads, keys, o.HeadDim };
        using var query = randn(shape);
        using var key = randn(keyShape);
        using var value = randn(keyShape);
        using var upstream = randn(shape);

        Action Forward(AttentionImplementation implementation) => () =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            implementation.Attend(query, key, value);
        };

        Action ForwardBackward(AttentionImplementation implementation) => () =>
        {
            using var scope = NewDisposeScope();
            var q = query.detach().requires_grad_();
            var k = key.detach().requires_grad_();
            var v = value.detach().requires_grad_();
            // The inputs' gradients are returned, as inside a model, where the projections consume them, rather than
            // accumulated into the leaves' .grad. libtorch moves a gradient into .grad when nothing else references it,
            // but a gradient returned by a TorchSharp custom autograd function is still referenced by its wrapper, so
            // accumulation would copy it: a cost of the leaf case that no model pays (README, Benchmarks).
            // (allow_unused: LSH attention shares one projection for queries and keys and never reads the key.)
            var output = implementation.Attend(q, k, v);
            torch.autograd.grad([output], [q, k, v, .. implementation.LearnedInputs?.Invoke() ?? []], [upstream], allow_unused: true);
        };

        var budget = o.Budget();
        var warmup = TimeSpan.FromSeconds(1);
        var forward = Measurement.MedianMilliseconds(implementations.Select(Forward).ToList(), o.Warmup, warmup, o.Repetitions, budget);
        var forwardBackward = Measurement.MedianMilliseconds(implementations.Select(ForwardBackward).ToList(), o.Warmup, warmup, o.Repetitions, budget);
        var measured = new Dictionary<string, (double, double, double?)>();
        for (int i = 0; i < implementations.Count; i++)
            measured[implementations[i].Name] = (forward[i], forwardBackward[i], Measurement.PeakMemoryMebibytes(ForwardBackward(implementations[i])));
        return measured;
    }

    /// <summary>The results as a table, with each implementation's forward+backward time relative to sdpa's.</summary>
    public static Table Table(IReadOnlyList<AttentionResult> results)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("seq").AddColumn("impl")
            .AddColumn(new TableColumn("forward ms").RightAligned())
            .AddColumn(new TableColumn("fwd+bwd ms").RightAligned())
            .AddColumn(new TableColumn("peak MiB").RightAligned())
            .AddColumn(new TableColumn("fwd+bwd vs sdpa").RightAligned());
        bool counted = results.Any(r => r.ForwardGflops is not null);
        if (counted)
            table.AddColumn(new TableColumn("GFLOP/s fwd/fwd+bwd (% sgemm)").RightAligned());
        foreach (var result in results)
        {
            var sdpa = results.FirstOrDefault(r => r.Seq == result.Seq && r.SourceSeq == result.SourceSeq && r.Impl == "sdpa")?.ForwardBackwardMs;
            string ratio = sdpa is double s && result.ForwardBackwardMs is double t && t > 0 ? Measurement.Ratio(t, s) : "";
            if (result.Impl == "sdpa")
                ratio = "baseline";
            string seq = result.Seq.ToString(CultureInfo.InvariantCulture);
            if (result.SourceSeq is int source && source != result.Seq)
                seq += " to " + source.ToString(CultureInfo.InvariantCulture);
            var row = new List<string> { seq, result.Impl, Cell(result.ForwardMs), Cell(result.ForwardBackwardMs), Cell(result.PeakMemoryMb), ratio };
            if (counted)
                row.Add(result is { ForwardGflops: double f, ForwardBackwardGflops: double fb, SgemmGflops: double peak }
                    ? string.Create(CultureInfo.InvariantCulture, $"{f:0}/{fb:0} ({100 * f / peak:0}/{100 * fb / peak:0} %)")
                    : "");
            table.AddRow(row.ToArray());
        }
        return table;
    }

    private static string Cell(double? value) => value is double v ? v.ToString("0.0", CultureInfo.InvariantCulture) : "skipped";

    private static double Round(double value) => Math.Round(value, 2);
}
