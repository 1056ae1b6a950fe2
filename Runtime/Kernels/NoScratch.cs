namespace XformerDsl.Kernels;

/// <summary>The scratch of tasks that need none.</summary>
public sealed class NoScratch : IDisposable
{
    /// <summary>The one instance; disposing it does nothing.</summary>
    public static NoScratch Instance { get; } = new();

    private NoScratch() { }

    /// <inheritdoc/>
    public void Dispose() { }
}
