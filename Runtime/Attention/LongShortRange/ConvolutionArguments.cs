using System.Numerics;

namespace XformerDsl.Attention.LongShortRange;

/// <summary>
/// The memory a fused convolution kernel reads and writes, all contiguous: the input and output
/// <c>[batch, seq, channels]</c> and the weights, either one <c>[heads, K]</c> kernel for every position (lightweight,
/// <see cref="WeightRowStride"/> 0) or one per position, <c>[batch, seq, heads, K]</c> (dynamic, stride heads · K).
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public unsafe readonly struct ConvolutionArguments<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Sequences.</summary>
    public required int Batch { get; init; }

    /// <summary>Positions per sequence.</summary>
    public required int Length { get; init; }

    /// <summary>C, channels per position.</summary>
    public required int Channels { get; init; }

    /// <summary>H, kernel heads; head h owns channels h·R … h·R + R − 1, R = C / H.</summary>
    public required int Heads { get; init; }

    /// <summary>x, <c>[batch, seq, channels]</c>.</summary>
    public required T* Input { get; init; }

    /// <summary>y, <c>[batch, seq, channels]</c>: written by the forward kernel, unused by the backward one.</summary>
    public required T* Output { get; init; }

    /// <summary>The weights of position 0 of sequence 0; position (b, t) reads <c>Weights + (b·seq + t) · WeightRowStride</c>.</summary>
    public required T* Weights { get; init; }

    /// <summary>0 for a lightweight convolution (one kernel for all positions), heads · K for a dynamic one.</summary>
    public required long WeightRowStride { get; init; }

    /// <summary>Threads to run on.</summary>
    public required int Threads { get; init; }

    /// <summary>True for a dynamic convolution (a kernel per position).</summary>
    public bool IsDynamic => WeightRowStride != 0;
}

/// <summary>What a backward kernel writes besides reading the forward arguments and the output gradient.</summary>
/// <typeparam name="T">float or double.</typeparam>
public unsafe readonly struct ConvolutionBackwardArguments<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The forward pass's arguments.</summary>
    public required ConvolutionArguments<T> Forward { get; init; }

    /// <summary>dL/dy, <c>[batch, seq, channels]</c>.</summary>
    public required T* OutputGradient { get; init; }

    /// <summary>dL/dx, <c>[batch, seq, channels]</c>, written.</summary>
    public required T* InputGradient { get; init; }

    /// <summary>dL/dw, the weights' shape (<c>[heads, K]</c> or <c>[batch, seq, heads, K]</c>), written.</summary>
    public required T* WeightGradient { get; init; }
}
