using Spectre.Console.Rendering;

namespace XformerDsl.Benchmarks;

/// <summary>
/// A suite the program runs, named by its first argument: its line in the usage text, and a run that returns the
/// console table and the rows written as JSON (the rows' records fix the JSON fields other tools read).
/// </summary>
internal sealed record BenchmarkSuite(string Name, string Help, Func<BenchmarkOptions, (IRenderable Table, object Results)> Run)
{
    /// <summary>Every suite, in the order the usage text lists them.</summary>
    public static IReadOnlyList<BenchmarkSuite> All { get; } =
    [
        new("attention", AttentionSuite.Help, o => { var results = AttentionSuite.Run(o); return (AttentionSuite.Table(results), results); }),
        new("memory", MemorySuite.Help, o => { var results = MemorySuite.Run(o); return (MemorySuite.Table(results), results); }),
        new("generate", GenerateSuite.Help, o => { var results = GenerateSuite.Run(o); return (GenerateSuite.Table(results), results); }),
        new("model", ModelSuite.Help, o => { var results = ModelSuite.Run(o); return (ModelSuite.Table(results), results); }),
        new("conv", ConvSuite.Help, o => { var results = ConvSuite.Run(o); return (ConvSuite.Table(results), results); }),
    ];
}
