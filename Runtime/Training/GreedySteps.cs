using XformerDsl.Modules;
using static TorchSharp.torch;

namespace XformerDsl.Training;

/// <summary>
/// Greedy generation by <see cref="IRecurrentLanguageModel.Step"/> from token 0 for every sequence of a batch, advanced
/// and timed in pieces: each <see cref="Advance"/> feeds the last chosen tokens, takes the most likely next ones, as many
/// times as asked, without gradients, and returns the seconds its steps took. A benchmark can so alternate two models in
/// short turns, and both see the same stretch of a machine whose speed drifts.
/// </summary>
public sealed class GreedySteps : IDisposable
{
    private readonly IRecurrentLanguageModel _model;
    private readonly RecurrentState _state;
    private Tensor _next;

    /// <summary>A fresh state for <paramref name="batch"/> sequences, each to start from token 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="batch"/> is below 1.</exception>
    public GreedySteps(IRecurrentLanguageModel model, int batch)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        _model = model;
        _state = model.CreateState(batch);
        _next = zeros(new long[] { batch }, ScalarType.Int64).DetachFromDisposeScope();
    }

    /// <summary>Tokens generated so far per sequence.</summary>
    public int Generated { get; private set; }

    /// <summary>Each sequence's latest token: 0 before the first <see cref="Advance"/>, then the last one chosen.</summary>
    public long[] LatestTokens => XformerDsl.Kernels.TensorMemory.CopyToArray<long>(_next);

    /// <summary>Generates <paramref name="tokens"/> more tokens per sequence; returns the seconds the steps took.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="tokens"/> is negative.</exception>
    public double Advance(int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        using var noGrad = no_grad();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < tokens; i++)
        {
            using var scope = NewDisposeScope();
            var chosen = _model.Step(_state, _next).argmax(-1);
            _next.Dispose();
            _next = chosen.DetachFromDisposeScope();
        }
        clock.Stop();
        Generated += tokens;
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>Frees the state.</summary>
    public void Dispose()
    {
        _next.Dispose();
        _state.Dispose();
    }
}
