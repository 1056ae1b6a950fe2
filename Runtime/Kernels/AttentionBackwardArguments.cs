using System.Numerics;

namespace XformerDsl.Kernels;

/// <summary>What a fused attention kernel's backward pass reads and writes.</summary>
/// <typeparam name="T">float or double.</typeparam>
public readonly unsafe struct AttentionBackwardArguments<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The forward pass's arguments, with <see cref="AttentionForwardArguments{T}.Output"/> and
    /// <see cref="AttentionForwardArguments{T}.LogSumExp"/> holding what it wrote.</summary>
    public required AttentionForwardArguments<T> Forward { get; init; }

    /// <summary>The gradient of the loss with respect to the output, <c>[batch, heads, queries, headDim]</c>.</summary>
    public required HeadRows<T> OutputGradient { get; init; }

    /// <summary>Where the query gradient goes; <c>default</c> for a bias-only kernel.</summary>
    public required HeadRows<T> QueryGradient { get; init; }

    /// <summary>Where the key gradient goes; <c>default</c> for a bias-only kernel.</summary>
    public required HeadRows<T> KeyGradient { get; init; }

    /// <summary>Where the value gradient goes.</summary>
    public required HeadRows<T> ValueGradient { get; init; }

    /// <summary>
    /// Where the score bias's gradient goes, dense <c>[batch, heads, queries, keys]</c> and zeroed beforehand (each
    /// element is written by the one task that visits its tile, so no two threads write the same element; tiles a
    /// schedule skips stay zero); <c>default</c> when the kernel takes no bias.
    /// </summary>
    public HeadRows<T> ScoreBiasGradient { get; init; }

    /// <summary>Where the gradient of <see cref="AttentionForwardArguments{T}.PositionQuery"/> goes; <c>default</c> without relative positions.</summary>
    public HeadRows<T> PositionQueryGradient { get; init; }

    /// <summary>
    /// Where the gradient of <see cref="AttentionForwardArguments{T}.Positions"/> goes, dense <c>[heads,
    /// PositionCount, headDim]</c> (summed over the batch); <c>default</c> without relative positions.
    /// </summary>
    public HeadRows<T> PositionGradient { get; init; }
}
