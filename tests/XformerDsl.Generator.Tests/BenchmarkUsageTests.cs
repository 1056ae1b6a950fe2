using XformerDsl.Benchmarks;
using Xunit;

namespace XformerDsl.Generator.Tests;

/// <summary>
/// The benchmark program's command line, which other tools and the README rely on: <c>--help</c> lists every suite and
/// every attention family the program can measure, and a wrong name is answered with the names it knows. The usage text
/// is built from the registries, so these catch a family or suite that the help text or the errors leave out.
/// </summary>
public class BenchmarkUsageTests
{
    [Fact]
    public void Usage_lists_every_registered_family_on_its_own_line()
    {
        var lines = CommandLine.Usage.Split('\n');
        Assert.NotEmpty(AttentionSuite.Families);
        foreach (var family in AttentionSuite.Families)
            Assert.Contains(lines, line => line.TrimStart().StartsWith(family.Name + " ", StringComparison.Ordinal));
    }

    [Fact]
    public void Usage_lists_every_suite()
    {
        var lines = CommandLine.Usage.Split('\n');
        foreach (var suite in BenchmarkSuite.All)
            Assert.Contains(lines, line => line.TrimStart().StartsWith(suite.Name + " ", StringComparison.Ordinal));
    }

    [Fact]
    public void Family_names_are_distinct()
    {
        var names = AttentionSuite.Families.Select(f => f.Name).ToList();
        Assert.Equal(names.Distinct().Count(), names.Count);
    }

    [Fact]
    public void Help_arguments_print_usage_without_running_a_suite()
    {
        foreach (var help in new[] { "help", "--help", "-h" })
            Assert.Equal((null, null, null), CommandLine.Parse([help]));
        Assert.Equal((null, null, null), CommandLine.Parse([]));
        Assert.Equal((null, null, null), CommandLine.Parse(["attention", "--seq", "1024", "--help"]));
        Assert.Equal((null, null, null), CommandLine.Parse(["plot", "-h"]));
    }

    [Fact]
    public void An_unknown_family_is_answered_with_every_family()
    {
        var (suite, options, error) = CommandLine.Parse(["attention", "--family", "no-such-family"]);
        Assert.Equal("attention", suite);
        Assert.Null(error);
        var thrown = Assert.Throws<ArgumentException>(() => AttentionSuite.Implementations(options!));
        Assert.Contains("no-such-family", thrown.Message);
        foreach (var family in AttentionSuite.Families)
            Assert.Contains(family.Name, thrown.Message);
    }

    [Fact]
    public void An_unknown_option_or_value_is_an_error_naming_it()
    {
        Assert.Contains("'--no-such-option'", CommandLine.Parse(["attention", "--no-such-option", "1"]).Error);
        Assert.Equal("--seq x: not a valid value.", CommandLine.Parse(["attention", "--seq", "x"]).Error);
        Assert.Equal("--causal maybe: not a valid value.", CommandLine.Parse(["memory", "--causal", "maybe"]).Error);
        Assert.Contains("--seq", CommandLine.Parse(["attention", "--seq"]).Error);
        Assert.Equal("Unknown suite 'no-such-suite'.", CommandLine.Parse(["no-such-suite"]).Error);
        Assert.NotNull(CommandLine.Parse(["generate", "--plot", "x.png"]).Error);
    }

    [Fact]
    public void Options_keep_their_defaults_unless_given()
    {
        var (suite, options, error) = CommandLine.Parse(["attention"]);
        Assert.Equal(("attention", (string?)null), (suite, error));
        Assert.Equivalent(new BenchmarkOptions(), options);

        (suite, options, error) = CommandLine.Parse(["memory", "--seq", "512,1024", "--depth=2", "--causal", "false", "--max-seconds", "1.5", "--json", "m.json"]);
        Assert.Equal(("memory", (string?)null), (suite, error));
        Assert.Equal([512, 1024], options!.Seq);
        Assert.True(options.SeqGiven);
        Assert.Equal([2], options.Depth);
        Assert.False(options.Causal);
        Assert.Equal(1.5, options.MaxSecondsPerMeasurement);
        Assert.Equal("m.json", options.Json);
        Assert.Equal(new BenchmarkOptions().Heads, options.Heads);
    }

    [Fact]
    public void A_measurement_s_time_budget_is_the_suite_s_default_unless_given()
    {
        // The model suite's steps at 4096 take seconds each: with the other suites' 20 s its repetitions would not happen.
        var (_, options, _) = CommandLine.Parse(["model"]);
        Assert.Equal(TimeSpan.FromSeconds(ModelSuite.DefaultMaxSeconds), options!.Budget(ModelSuite.DefaultMaxSeconds));
        Assert.Equal(TimeSpan.FromSeconds(BenchmarkOptions.DefaultMaxSeconds), options.Budget());

        (_, options, _) = CommandLine.Parse(["model", "--max-seconds", "30"]);
        Assert.Equal(TimeSpan.FromSeconds(30), options!.Budget(ModelSuite.DefaultMaxSeconds));
    }

    [Fact]
    public void Source_seq_is_taken_by_the_cross_family_only()
    {
        var (suite, options, error) = CommandLine.Parse(["attention", "--family", "cross", "--seq", "1024,4096", "--source-seq", "512"]);
        Assert.Equal(("attention", (string?)null), (suite, error));
        Assert.Equal(512, options!.SourceSeq);
        Assert.True(AttentionSuite.Family(options).AttendsToSource);
        Assert.Equal(["generated", "reference", "sdpa"], AttentionSuite.Implementations(options).Select(i => i.Name));
        Assert.Null(new BenchmarkOptions().SourceSeq);
        Assert.Equal("--source-seq 0: not a valid value.", CommandLine.Parse(["attention", "--source-seq", "0"]).Error);

        var thrown = Assert.Throws<ArgumentException>(() => AttentionSuite.Implementations(options with { Family = "full" }));
        Assert.Contains("--source-seq 512", thrown.Message);
        Assert.Contains("cross", thrown.Message);
    }

    [Fact]
    public void Only_source_lengths_given_are_written_to_the_json()
    {
        var row = new AttentionResult("attention", "full", "sdpa", 1, 8, 64, 1024, true, 1, 2, 3);
        var options = new System.Text.Json.JsonSerializerOptions { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase };
        Assert.DoesNotContain("sourceSeq", System.Text.Json.JsonSerializer.Serialize(row, options));
        Assert.Contains("\"sourceSeq\":4096", System.Text.Json.JsonSerializer.Serialize(row with { Family = "cross", SourceSeq = 4096 }, options));
    }

    [Fact]
    public void Model_suite_rows_have_the_fields_other_tools_read_in_order()
    {
        var row = new ModelResult("model", "full", "generated", 1, 4096, 4, 512, 8, 1.5, 0.5, 10);
        var options = new System.Text.Json.JsonSerializerOptions { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase };
        using var json = System.Text.Json.JsonDocument.Parse(System.Text.Json.JsonSerializer.Serialize(row, options));
        Assert.Equal(["suite", "family", "impl", "batch", "seq", "depth", "dim", "heads", "stepMs", "forwardMs", "peakMemoryMb"],
            json.RootElement.EnumerateObject().Select(p => p.Name));
        // The per-round speed-up follows them when the hand-written model ran.
        using var paired = System.Text.Json.JsonDocument.Parse(System.Text.Json.JsonSerializer.Serialize(row with { StepSpeedup = 1.2 }, options));
        Assert.Equal("stepSpeedup", paired.RootElement.EnumerateObject().Last().Name);
    }

    [Fact]
    public void Reuse_allocations_is_off_unless_asked_for()
    {
        Assert.False(new BenchmarkOptions().ReuseAllocations);
        Assert.False(CommandLine.Parse(["model"]).Options!.ReuseAllocations);
        Assert.True(CommandLine.Parse(["model", "--reuse-allocations", "true"]).Options!.ReuseAllocations);
        Assert.Equal("--reuse-allocations maybe: not a valid value.", CommandLine.Parse(["model", "--reuse-allocations", "maybe"]).Error);
    }

    [Fact]
    public void The_per_round_speed_up_pairs_each_round_s_times_where_the_ratio_of_medians_does_not()
    {
        // A machine twice as slow in the second round: each round the candidate is twice as fast, which the ratio of
        // the medians (12 against 12) hides.
        double[] baseline = [10, 40, 12], candidate = [5, 20, 12];
        Assert.Equal(2.0, Measurement.MedianRatio(baseline, candidate));
        Assert.Equal(1.0, Measurement.Median([.. baseline]) / Measurement.Median([.. candidate]));
        Assert.Equal(0.5, Measurement.MedianRatio(candidate, baseline));
        Assert.Throws<ArgumentException>(() => Measurement.MedianRatio(baseline, [5, 20]));
    }

    [Fact]
    public void Hand_written_baseline_loads_the_declared_weights_and_computes_the_same_logits()
    {
        // The model suite compares like with like only if the hand-written SDPA model is the declared architecture.
        TorchSharp.torch.manual_seed(3);
        using var declared = new ModelSuiteFull();
        var spec = ((XformerDsl.Modules.IDeclaredModel)declared).Declaration;
        using var handwritten = HandwrittenTransformer.For(spec);
        handwritten.load_state_dict(declared.state_dict());
        using var tokens = TorchSharp.torch.randint(spec.Vocab, [2, 33], dtype: TorchSharp.torch.int64);
        using var noGrad = TorchSharp.torch.no_grad();
        Assert.True(TorchSharp.torch.allclose(declared.call(tokens), handwritten.call(tokens), rtol: 1e-4, atol: 1e-4));
    }

    [Fact]
    public void The_plot_command_takes_json_files_and_a_png()
    {
        var (suite, options, error) = CommandLine.Parse(["plot", "a.json", "b.json", "--plot", "out.png"]);
        Assert.Equal((CommandLine.PlotCommand, (string?)null), (suite, error));
        Assert.Equal(["a.json", "b.json"], options!.PlotInputs);
        Assert.Equal("out.png", options.Plot);
        Assert.NotNull(CommandLine.Parse(["plot"]).Error);
        Assert.Contains(CommandLine.Usage.Split('\n'), line => line.TrimStart().StartsWith(CommandLine.PlotCommand + " ", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_option_in_the_usage_is_accepted_by_the_parser()
    {
        // Each "--name <value>" the usage documents parses (with a value of its shape), so the help never offers an
        // option the program refuses.
        var options = CommandLine.Usage.Split('\n')
            .Select(line => line.TrimStart())
            .Where(line => line.StartsWith("--", StringComparison.Ordinal) && line.Contains(" <", StringComparison.Ordinal))
            .Select(line => (Name: line[..line.IndexOf(' ')], Value: line[(line.IndexOf('<') + 1)..line.IndexOf('>')]))
            .ToList();
        Assert.Contains(options, o => o.Name == "--family");
        foreach (var (name, value) in options)
        {
            string sample = value switch
            {
                "bool" => "false",
                "x" => "1.5",
                "n" or "n,n,..." => "64",
                "png" => "out.png",
                _ => "full",
            };
            Assert.Null(CommandLine.Parse(["attention", name, sample]).Error);
        }
    }
}

/// <summary>The benchmark plot: the points it draws come from the JSON the suites write, and it writes a PNG of its documented size.</summary>
public class BenchmarkPlotTests
{
    private const string AttentionJson = """
        [
          { "suite": "attention", "family": "full", "impl": "generated", "batch": 1, "heads": 8, "headDim": 64, "seq": 1024, "causal": true, "forwardMs": 2.5, "forwardBackwardMs": 9.1, "peakMemoryMb": 12.5 },
          { "suite": "attention", "family": "full", "impl": "reference", "batch": 1, "heads": 8, "headDim": 64, "seq": 1024, "causal": true, "forwardMs": 6, "forwardBackwardMs": 20, "peakMemoryMb": 140 },
          { "suite": "attention", "family": "full", "impl": "generated", "batch": 1, "heads": 8, "headDim": 64, "seq": 4096, "causal": true, "forwardMs": 30, "forwardBackwardMs": 110, "peakMemoryMb": 50 },
          { "suite": "attention", "family": "full", "impl": "reference", "batch": 1, "heads": 8, "headDim": 64, "seq": 4096, "causal": true, "forwardMs": null, "forwardBackwardMs": null, "peakMemoryMb": null }
        ]
        """;

    [Fact]
    public void Attention_rows_become_a_line_per_impl_with_their_times_and_memory()
    {
        var points = BenchmarkPlot.FromJson(AttentionJson);

        Assert.Equal(4, points.Count);
        Assert.Equal(new BenchmarkPlot.Point("attention", "full", "generated", 1024, 9.1, 2.5, 12.5), points[0]);
        Assert.Equal(new BenchmarkPlot.Point("attention", "full", "reference", 4096, null, null, null), points[3]);
        var (time, memory) = BenchmarkPlot.Create(points);
        // generated: fwd+bwd and forward; reference: the same, its skipped run left out.
        var lines = time.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().ToList();
        Assert.Equal(["generated fwd+bwd", "generated forward", "reference fwd+bwd", "reference forward"], lines.Select(l => l.LegendText));
        Assert.Equal([(Math.Log10(1024), Math.Log10(9.1)), (Math.Log10(4096), Math.Log10(110))], lines[0].Data.GetScatterPoints().Select(p => (p.X, p.Y)));
        Assert.Single(lines[2].Data.GetScatterPoints());
        Assert.Equal(2, memory.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Count());
    }

    [Fact]
    public void Memory_rows_become_a_line_per_depth_and_blocks()
    {
        var points = BenchmarkPlot.FromJson("""
            [{ "suite": "memory", "family": "full", "impl": "generated", "seq": 8192, "depth": 12, "reversible": true, "peakMemoryMb": 300, "stepMs": 900 }]
            """);

        Assert.Equal([new BenchmarkPlot.Point("memory", "full", "depth 12, reversible", 8192, 900, null, 300)], points);
    }

    [Fact]
    public void Generate_rows_are_refused_with_the_suites_it_draws()
    {
        var thrown = Assert.Throws<ArgumentException>(() => BenchmarkPlot.FromJson("""[{ "suite": "generate", "family": "linear", "impl": "recurrent", "seq": 64, "tokensPerSecond": 100 }]"""));
        Assert.Contains("attention and memory", thrown.Message);
    }

    [Fact]
    public void Save_writes_a_png_of_the_documented_size()
    {
        var directory = Path.Combine(Path.GetTempPath(), "xformerdsl-benchplot-" + Guid.NewGuid().ToString("N"));
        try
        {
            var json = Path.Combine(directory, "results.json");
            Directory.CreateDirectory(directory);
            File.WriteAllText(json, AttentionJson);

            var path = BenchmarkPlot.Save(BenchmarkPlot.Read([json]), Path.Combine(directory, "plots", "results.png"));

            using var bitmap = SkiaSharp.SKBitmap.Decode(path);
            Assert.NotNull(bitmap);
            Assert.Equal((BenchmarkPlot.Width, BenchmarkPlot.Height), (bitmap.Width, bitmap.Height));
            int drawn = 0;
            for (int y = 0; y < bitmap.Height; y += 2)
                for (int x = 0; x < bitmap.Width; x += 2)
                    if (bitmap.GetPixel(x, y) is var c && (c.Red < 200 || c.Green < 200 || c.Blue < 200))
                        drawn++;
            Assert.True(drawn > 2000, $"only {drawn} pixels drawn");
        }
        finally
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }
}
