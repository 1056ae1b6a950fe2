using System.Diagnostics;
using static TorchSharp.torch;

namespace XformerDsl.Benchmarks;

/// <summary>Times and peak memory of one operation, measured the same way for every implementation.</summary>
internal static class Measurement
{
    /// <summary>The side of the square matrices of <see cref="SgemmGflops"/>.</summary>
    public const int SgemmSize = 2048;

    /// <summary>
    /// libtorch's float32 matrix product of two <see cref="SgemmSize"/>² matrices on the suite's threads, in GFLOP/s
    /// (2·n³ operations; median of five after two warm-ups): the machine's practical peak, measured in the same run as
    /// the kernels it is set against, so drift touches both alike.
    /// </summary>
    public static double SgemmGflops(BenchmarkOptions o)
    {
        manual_seed(0);
        using var a = randn(SgemmSize, SgemmSize);
        using var b = randn(SgemmSize, SgemmSize);
        var milliseconds = MedianMilliseconds([() => { using var product = a.mm(b); }], 2, TimeSpan.Zero, 5, o.Budget())[0];
        return 2.0 * SgemmSize * SgemmSize * (double)SgemmSize / (milliseconds * 1e6);
    }

    /// <summary>
    /// The median wall time in milliseconds of each operation, over the rounds of <see cref="Rounds"/>.
    /// </summary>
    public static double[] MedianMilliseconds(IReadOnlyList<Action> operations, int warmup, TimeSpan minimumWarmup, int repetitions, TimeSpan budget) =>
        Rounds(operations, warmup, minimumWarmup, repetitions, budget).Select(times => Median([.. times])).ToArray();

    /// <summary>
    /// The wall time in milliseconds of each operation in each round (<c>[operation][round]</c>). Operations run in
    /// rotation, one untimed and one timed run of each per round, so drift in the machine (a noisy neighbour, a frequency
    /// change) touches them all alike and the ratios between them hold. Before timing, each runs at least
    /// <paramref name="warmup"/> times and for at least <paramref name="minimumWarmup"/>, so JIT tiering and libtorch's
    /// allocator and thread pool have settled. Rounds stop early once <paramref name="budget"/> is spent, so a slow
    /// baseline cannot stall a run; there is always at least one timed round.
    /// </summary>
    public static double[][] Rounds(IReadOnlyList<Action> operations, int warmup, TimeSpan minimumWarmup, int repetitions, TimeSpan budget)
    {
        foreach (var operation in operations)
        {
            var warming = Stopwatch.StartNew();
            for (int i = 0; i < warmup || warming.Elapsed < minimumWarmup; i++)
                operation();
        }
        var times = operations.Select(_ => new List<double>()).ToArray();
        var total = Stopwatch.StartNew();
        for (int round = 0; round < repetitions && (round == 0 || total.Elapsed < budget); round++)
        {
            for (int i = 0; i < operations.Count; i++)
            {
                // On this kind of shared VM the first call after a pause (or after seconds of another operation) runs
                // up to 2x slower, and the pause is the other implementations' run time: at seq 16384, SDPA's 7 s. An
                // untimed call right before each timed one makes every measurement start alike, whatever ran before.
                if (operations.Count > 1)
                    operations[i]();
                var clock = Stopwatch.StartNew();
                operations[i]();
                times[i].Add(clock.Elapsed.TotalMilliseconds);
            }
        }
        return times.Select(t => t.ToArray()).ToArray();
    }

    /// <summary>
    /// How many times faster <paramref name="times"/> ran than <paramref name="baselineTimes"/>, as the median over the
    /// rounds of each round's ratio (both from one <see cref="Rounds"/> call). Drift that slows a whole round slows both
    /// alike and cancels in its ratio, where a ratio of the two medians can pair a fast round of one with a slow round of
    /// the other.
    /// </summary>
    public static double MedianRatio(IReadOnlyList<double> baselineTimes, IReadOnlyList<double> times)
    {
        if (baselineTimes.Count != times.Count || times.Count == 0)
            throw new ArgumentException($"Per-round ratios need times of the same rounds: {baselineTimes.Count} baseline rounds against {times.Count}.");
        return Median(baselineTimes.Zip(times, (baseline, time) => baseline / time).ToList());
    }

    internal static double Median(List<double> values)
    {
        values.Sort();
        int n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    /// <summary>How <paramref name="milliseconds"/> compares with <paramref name="baselineMilliseconds"/>: <c>1.25x faster</c> or <c>1.10x slower</c>.</summary>
    public static string Ratio(double milliseconds, double baselineMilliseconds) =>
        baselineMilliseconds >= milliseconds
            ? (baselineMilliseconds / milliseconds).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + "x faster"
            : (milliseconds / baselineMilliseconds).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + "x slower";

    /// <summary>The peak memory a run adds, in MiB (see <see cref="XformerDsl.Training.ProcessMemory.PeakMebibytes"/>); null off Linux.</summary>
    public static double? PeakMemoryMebibytes(Action run) => XformerDsl.Training.ProcessMemory.PeakMebibytes(run);
}
