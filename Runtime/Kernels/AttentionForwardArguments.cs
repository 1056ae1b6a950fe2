using System.Numerics;

namespace XformerDsl.Kernels;

/// <summary>
/// What a fused attention kernel's forward pass reads and writes. Queries and keys may differ in number; causal masking
/// aligns them at position 0 (query i sees keys 0..i), as <c>FullAttentionReference</c> does.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public readonly unsafe struct AttentionForwardArguments<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Batch size.</summary>
    public required int Batch { get; init; }

    /// <summary>Heads per batch element.</summary>
    public required int Heads { get; init; }

    /// <summary>Queries per (batch, head).</summary>
    public required int Queries { get; init; }

    /// <summary>Keys (and values) per (batch, head).</summary>
    public required int Keys { get; init; }

    /// <summary>Queries, <c>[batch, heads, queries, headDim]</c>; <c>default</c> for a bias-only kernel, which scores no queries.</summary>
    public required HeadRows<T> Query { get; init; }

    /// <summary>Keys, <c>[batch, heads, keys, headDim]</c>; <c>default</c> for a bias-only kernel.</summary>
    public required HeadRows<T> Key { get; init; }

    /// <summary>Values, <c>[batch, heads, keys, headDim]</c>.</summary>
    public required HeadRows<T> Value { get; init; }

    /// <summary>Where the attended values go, <c>[batch, heads, queries, headDim]</c>.</summary>
    public required HeadRows<T> Output { get; init; }

    /// <summary>
    /// Where the log-sum-exp of each query's scores goes, <c>[batch · heads, queries]</c> densely; +∞ for a query that
    /// sees no key (its output is zero). The backward pass rebuilds the probabilities from it.
    /// </summary>
    public required T* LogSumExp { get; init; }

    /// <summary>Null, or bool bytes <c>[batch, keys]</c>: nonzero where the key is a real token.</summary>
    public required byte* KeyMask { get; init; }

    /// <summary>The score scale, 1/√headDim.</summary>
    public required T Scale { get; init; }

    /// <summary>
    /// The additive score bias, <c>[batch, heads, queries, keys]</c> read through its strides (a batch stride of 0 when
    /// the batch shares it), added to the scaled scores before masking; <c>default</c> (null data) for none. Kernels
    /// that take no bias never read it.
    /// </summary>
    public HeadRows<T> ScoreBias { get; init; }

    /// <summary>
    /// Transformer-XL's position queries <c>q + v</c>, <c>[batch, heads, queries, headDim]</c>, which score the relative
    /// position rows <see cref="Positions"/>; <c>default</c> for a kernel without relative positions, which never reads it.
    /// </summary>
    public HeadRows<T> PositionQuery { get; init; }

    /// <summary>
    /// The projected relative-position rows <c>W_R·R</c>, <c>[heads, PositionCount, headDim]</c> (a batch stride of 0),
    /// in descending distance: query i meets key j in row <c>Queries − 1 − i + j</c>; <c>default</c> without them.
    /// </summary>
    public HeadRows<T> Positions { get; init; }

    /// <summary>How many rows <see cref="Positions"/> has; rows past it read as zero.</summary>
    public int PositionCount { get; init; }

    /// <summary>Threads to run on.</summary>
    public required int Threads { get; init; }

    /// <summary>Batch · heads: the number of independent attention problems.</summary>
    public int BatchHeads => Batch * Heads;

    /// <summary>The key mask row of (batch, head) <paramref name="batchHead"/>, or null.</summary>
    public byte* KeyMaskOf(int batchHead) => KeyMask == null ? null : KeyMask + (long)(batchHead / Heads) * Keys;
}
