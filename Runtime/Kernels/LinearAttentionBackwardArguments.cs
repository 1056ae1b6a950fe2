using System.Numerics;

namespace XformerDsl.Kernels;

/// <summary>What a fused linear attention kernel's backward pass reads and writes.</summary>
/// <typeparam name="T">float or double.</typeparam>
public readonly unsafe struct LinearAttentionBackwardArguments<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The forward pass's arguments, with <c>Output</c> and <c>Normaliser</c> holding what it wrote.</summary>
    public required LinearAttentionForwardArguments<T> Forward { get; init; }

    /// <summary>The gradient of the loss with respect to the output, <c>[batch, heads, length, headDim]</c>.</summary>
    public required HeadRows<T> OutputGradient { get; init; }

    /// <summary>Where the gradient of φ(Q) goes.</summary>
    public required HeadRows<T> FeatureQueryGradient { get; init; }

    /// <summary>Where the gradient of φ(K) goes.</summary>
    public required HeadRows<T> FeatureKeyGradient { get; init; }

    /// <summary>Where the value gradient goes.</summary>
    public required HeadRows<T> ValueGradient { get; init; }
}
