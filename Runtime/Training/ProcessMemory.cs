using System.Globalization;
using XformerDsl.Kernels;

namespace XformerDsl.Training;

/// <summary>
/// The process's memory as the operating system sees it: what training on long sequences is limited by. Linux only
/// (from <c>/proc</c>); elsewhere the measurements are null.
/// </summary>
public static class ProcessMemory
{
    /// <summary>
    /// Runs <paramref name="run"/> and returns how far the process's resident memory rose above where it stood, in
    /// MiB: the peak of everything the run allocates, libtorch tensors and kernel scratch alike, allocator slack
    /// included. It first collects garbage and hands freed heap pages back to the system, then resets the kernel's
    /// peak-RSS counter (<c>/proc/self/clear_refs</c>), so the figure is the run's own. Null where that is unavailable
    /// (the run still runs).
    /// </summary>
    public static double? PeakMebibytes(Action run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (!OperatingSystem.IsLinux())
        {
            run();
            return null;
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        NativeHeap.ReturnFreePages();
        File.WriteAllText("/proc/self/clear_refs", "5");
        long before = StatusKilobytes("VmRSS:");
        run();
        long peak = StatusKilobytes("VmHWM:");
        return Math.Max(0, peak - before) / 1024.0;
    }

    /// <summary>The machine's physical memory in MiB (<c>MemTotal</c>); null where it cannot be read.</summary>
    public static double? MachineMebibytes()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/meminfo"))
            return null;
        var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        return line is null ? null : Kilobytes(line, "MemTotal:") / 1024.0;
    }

    private static long StatusKilobytes(string key) =>
        Kilobytes(File.ReadLines("/proc/self/status").First(line => line.StartsWith(key, StringComparison.Ordinal)), key);

    private static long Kilobytes(string line, string key) =>
        long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
}
