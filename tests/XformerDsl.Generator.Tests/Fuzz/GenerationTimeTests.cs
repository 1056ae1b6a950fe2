using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace XformerDsl.Generator.Tests.Fuzz;

/// <summary>
/// Generation work is bounded before the work is done: the declarations issue 14 found taking minutes (BigBird,
/// bidirectional, at MaxLength 262,144; with Block 1 at 65,536; at 1,048,576) are refused with XF0039 without laying
/// anything out, and the largest layouts still accepted generate a file of bounded size. The work itself is bounded
/// deterministically by <see cref="XformerDsl.Generator.Emit.Kernels.BlockLayout.MaxSteps"/>; the processor time of
/// the generator's thread is only checked against <see cref="ThreadCpu.StallGuard"/>, far above what these take.
/// </summary>
public class GenerationTimeTests(ITestOutputHelper output)
{
    private const string U = DiagnosticCases.Usings;

    /// <summary>The most characters the largest accepted layout may write into the generated file (it writes about 880,000).</summary>
    private const int MaxGeneratedChars = 2_000_000;

    // The generator's first run in a process also pays the JIT compilation of the generator itself, once, whatever the
    // declaration (about a second of the first measured layout's 1.57 s here): a small model generated first keeps that
    // out of the measured layouts, so the bounds measure the work a layout's size causes.
    private static readonly Lazy<bool> s_warmedUp = new(() =>
    {
        GeneratorHarness.Run(GeneratorHarness.Compilation(
            U + "[Transformer(Vocab = 16, Dim = 16, Depth = 1, MaxLength = 256, Causal = false)] [BigBirdAttention(Heads = 2, Block = 16)] public partial class M;"));
        return true;
    });

    public static TheoryData<string> Refused() => new()
    {
        U + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 262144, Causal = false)] [BigBirdAttention(Heads = 4, Block = 64)] public partial class M;",
        U + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 65536, Causal = false)] [BigBirdAttention(Heads = 4, Block = 1)] public partial class M;",
        U + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1048576, Causal = false)] [BigBirdAttention(Heads = 4, Block = 64)] public partial class M;",
        U + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1048576, Causal = true)] [BigBirdAttention(Heads = 4, Block = 1)] public partial class M;",
        U + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1048576, Causal = false)] [BigBirdAttention(Heads = 4, Block = 1, GlobalBlocks = 2, RandomBlocks = 2)] public partial class M;",
        U + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1048576, Causal = true)] [BigBirdAttention(Heads = 4, Block = 64)] public partial class M;",
        U + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1048576, Causal = false)] [SparseAttention(Heads = 4, Stride = 16)] public partial class M;",
        U + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1048576, Causal = false)] [SlidingWindowAttention(Heads = 4, Window = 64, GlobalTokens = 64)] public partial class M;",
        U + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1048576, Causal = false)] [AxialAttention(Heads = 4, Rows = 1024, Columns = 1024)] public partial class M;",
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Too_large_a_layout_is_refused_quickly(string source)
    {
        _ = s_warmedUp.Value;
        var compilation = GeneratorHarness.Compilation(source);
        var (run, elapsed) = ThreadCpu.Measure(() => GeneratorHarness.Run(compilation));

        output.WriteLine($"{elapsed.TotalSeconds:F2} s: {string.Join("; ", run.GeneratorDiagnostics.Select(d => d.GetMessage()))}");
        Assert.Contains(run.GeneratorDiagnostics, d => d.Id == "XF0039");
        Assert.Empty(run.Sources);
        Assert.True(elapsed < ThreadCpu.StallGuard, $"took {elapsed.TotalSeconds:F2} s");
    }

    public static TheoryData<string> Accepted() => new()
    {
        U + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 16384, Causal = false)] [BigBirdAttention(Heads = 4, Block = 64)] public partial class M;",
        U + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 65536, Causal = true)] [BigBirdAttention(Heads = 4, Block = 64)] public partial class M;",
        U + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 65536, Causal = true)] [SlidingWindowAttention(Heads = 4, Window = 256)] public partial class M;",
        U + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 262144, Causal = true)] [LocalAttention(Heads = 4, Block = 64, Before = 1)] public partial class M;",
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void Largest_accepted_layouts_generate_a_bounded_file_without_stalling(string source)
    {
        _ = s_warmedUp.Value;
        var compilation = GeneratorHarness.Compilation(source);
        var (run, elapsed) = ThreadCpu.Measure(() => GeneratorHarness.Run(compilation));

        output.WriteLine($"{elapsed.TotalSeconds:F2} s, {run.Sources.Values.Sum(s => s.Length):N0} chars: {string.Join("; ", run.GeneratorDiagnostics.Select(d => d.GetMessage()))}");
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Single(run.Sources);
        Assert.InRange(run.Sources.Values.Sum(s => s.Length), 1, MaxGeneratedChars);
        Assert.True(elapsed < ThreadCpu.StallGuard, $"took {elapsed.TotalSeconds:F2} s");
    }
}
