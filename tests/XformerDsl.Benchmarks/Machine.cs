namespace XformerDsl.Benchmarks;

/// <summary>What the figures were measured on, for the header every run prints: figures mean nothing without their CPU.</summary>
internal static class Machine
{
    /// <summary>
    /// The CPU's model name with its family and model numbers (Linux's /proc/cpuinfo; a VM may name only the vendor's
    /// line, "AMD EPYC", which the numbers tell apart), or the architecture where that is not available.
    /// </summary>
    public static string Cpu { get; } = ReadCpu();

    private static string ReadCpu()
    {
        try
        {
            var lines = File.ReadLines("/proc/cpuinfo").TakeWhile(l => l.Length > 0).ToList();   // the first processor's
            string? Field(string name) => lines.Where(l => l.StartsWith(name, StringComparison.Ordinal) && l.IndexOf(':') > 0
                    && l[..l.IndexOf(':')].Trim() == name)
                .Select(l => l[(l.IndexOf(':') + 1)..].Trim()).FirstOrDefault();
            if (Field("model name") is string name)
                return Field("cpu family") is string family && Field("model") is string model ? $"{name} (family {family}, model {model})" : name;
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
    }
}
