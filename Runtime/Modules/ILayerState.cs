namespace XformerDsl.Modules;

/// <summary>
/// One attention layer's part of a <see cref="RecurrentState"/>: what its family keeps between steps (a fixed-size
/// summary, a growing cache). The state owns it and disposes it with itself.
/// </summary>
public interface ILayerState : IDisposable
{
    /// <summary>Elements held, for memory accounting.</summary>
    long Elements { get; }
}
